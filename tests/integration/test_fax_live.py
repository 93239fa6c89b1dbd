"""Faxes through the real sandbox: each PBX sends to the world's fax machine and receives from it, T.38
both ways (the sandbox's trunks carry it; a G.711-only trunk: tests/web/test_trunks_live.py).

A three-page PDF is converted to TIFF-F (Ghostscript), sent over the trunk
with ``SendFAX``/``ReceiveFAX`` (spandsp), and the TIFF the far end stored is
compared with the one sent: the same page count, and every page most like
the page it was sent as.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path, PurePosixPath

import pytest

from ami.connection import AmiClient
from ami.session import AmiSession, ami_session
from esl.render import DialConfig, render
from lab import fax as lab_fax
from lab.campaign import Kit, random_area_code
from lab.sandbox import cli as sandbox_cli
from lab.sandbox import faxes, fsbuild, fsnode, fsrender, world
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.layout import nodes, paths
from orchestrator import commands as c
from orchestrator.fax import FAX_OUT_ROUTE, VAR_FAX_FILE
from runner import faxdocs
from store.enums import FaxStatus, PbxKind
from tests.integration.campaign_kit import BOTH_PBXES
from tests.integration.eslevents import EventSocket

pytestmark = pytest.mark.sandbox

FAX_TIMEOUT_S = 120.0  # three fine pages at 14400 bit/s take ~40 s; retraining at a lower rate takes longer
MIN_SIMILARITY = 0.9
CALLER = "12125550123"

#: Three pages that look nothing alike: a received page must be most like the page it was sent as.
DOCUMENT = """%!PS
/Helvetica-Bold findfont 60 scalefont setfont
72 700 moveto (Page one) show 72 72 moveto 500 700 lineto 20 setlinewidth stroke showpage
/Helvetica-Bold findfont 60 scalefont setfont
72 700 moveto (Page two) show 100 100 400 400 rectfill showpage
/Helvetica-Bold findfont 60 scalefont setfont
72 700 moveto (Page three) show 300 350 200 0 360 arc fill showpage
"""


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> tuple[Path, list[faxdocs.Page]]:
    """The TIFF to send and its pages rasterised (as the admin would show them)."""
    work = tmp_path_factory.mktemp("fax")
    (work / "doc.ps").write_text(DOCUMENT)
    tiff = work / "doc.tif"
    assert faxdocs.to_tiff(work / "doc.ps", tiff) == 3
    return tiff, _pages(tiff)


def _pages(tiff: Path) -> list[faxdocs.Page]:
    pdf = tiff.with_suffix(".pdf")
    faxdocs.to_pdf(tiff, pdf)
    return faxdocs.rasterise(pdf)


def assert_same_pages(received: Path, sent_pages: list[faxdocs.Page]) -> None:
    got = _pages(received)
    assert len(got) == len(sent_pages)
    for index, page in enumerate(got):
        scores = [faxdocs.similarity(page, sent) for sent in sent_pages]
        assert scores[index] >= MIN_SIMILARITY, scores
        assert max(range(len(scores)), key=scores.__getitem__) == index, scores


def _fields(message) -> dict[str, str]:
    return {k: str(v) for k, v in message.items()}


async def _user_event(session: AmiSession, name: str, file: str = "") -> dict[str, str]:
    """The first UserEvent ``name`` (about ``file``, when given)."""
    message = await session.wait_event(
        lambda m: m.get("Event") == "UserEvent" and m.get("UserEvent") == name
        and str(m.get("File", "")).endswith(file), timeout=FAX_TIMEOUT_S)
    return _fields(message)


async def _world_sends(sandbox, endpoint: str, inner: PurePosixPath) -> dict[str, str]:
    """The world's fax machine sends ``inner`` (a TIFF in the world's root) to ``endpoint``; its result."""
    async with ami_session(sandbox.world) as world_events:
        await world_events.action({
            "Action": "Originate", "Channel": endpoint, "Context": world.FAX_SEND_CONTEXT, "Exten": "s",
            "Priority": "1", "Async": "true", "CallerID": CALLER, "Timeout": "30000",
            "Variable": f"fax_file={inner}"}, as_list=False)
        return await _user_event(world_events, "WorldFaxSent", inner.name)


def _world_copy(sandbox, tiff: Path) -> PurePosixPath:
    """``tiff`` copied into the world's fax dir; its path as the world sees it."""
    far = nodes(sandbox.settings)["world"]
    inner = far.base / "spool" / "fax" / f"in-{uuid.uuid4().hex[:8]}.tif"
    shutil.copy(tiff, far.host(inner))
    return inner


@pytest.fixture
def fs_fax_events(sandbox):
    """The FreeSWITCH node up with its fax routes, and its fax results on an event socket."""
    sandbox_cli.up(sandbox.settings, "freeswitch")
    faxes.sync(sandbox.settings)
    fs = fsnode.node(sandbox.settings, fsbuild.prefix_dir(sandbox.settings.sandbox_cache.resolve()))
    password = freeswitch_secrets(sandbox.settings).esl_password
    with EventSocket("127.0.0.1", sandbox.settings.esl_port, password) as sock:
        reply = sock.send("event plain BACKGROUND_JOB CUSTOM spandsp::txfaxresult spandsp::rxfaxresult")
        assert reply.get("Reply-Text").startswith("+OK")
        yield fs, sock


def _fax_result(sock: EventSocket, subclass: str, channel: str = "") -> dict[str, str]:
    """mod_spandsp's result in the words of Asterisk's ``SwitchboardFax`` (Mode: ``fax-t38-status``)."""
    event = sock.wait_for(lambda e: e.subclass == subclass and (not channel or e.get("Unique-ID") == channel),
                          FAX_TIMEOUT_S)
    return {"Status": "SUCCESS" if event.get("fax-success") == "1" else "FAILED",
            "Pages": event.get("fax-document-transferred-pages"), "Mode": event.get("fax-t38-status"),
            "Error": event.get("fax-result-text"), "Caller": event.get("Caller-Caller-ID-Number"),
            "File": event.get("variable_sb_fax_file")}


def pbx_sends(sandbox, kind: PbxKind, trunk: str, tiff: Path, sock: EventSocket | None = None,
              ) -> tuple[dict[str, str], dict[str, str]]:
    """The PBX of ``kind`` sends ``tiff`` over ``trunk`` to the world's fax machine, as its runner would
    (the ``sb-fax-out`` route); its result (as :func:`_fax_result` words it) and the world's ``WorldFax``.
    FreeSWITCH's result comes on ``sock`` (the ``fs_fax_events`` fixture's)."""
    number = world.world_number(world.Outcome.FAX, serial=int(uuid.uuid4().int % 1000))
    name, channel = f"out-{uuid.uuid4().hex[:8]}.tif", str(uuid.uuid4())
    if kind is PbxKind.ASTERISK:
        shutil.copy(tiff, paths(sandbox.settings).fax_dir / name)
        inner = f"{paths(sandbox.settings).fax_dir_in_pbx}/{name}"
    else:
        fs = fsnode.node(sandbox.settings, fsbuild.prefix_dir(sandbox.settings.sandbox_cache.resolve()))
        inner = str(fsrender.fax_dir(fs) / name)
        shutil.copy(tiff, inner)
    originate = c.Originate(attempt_id="fax1", channel_id=channel, route=FAX_OUT_ROUTE, timeout_s=30,
                            endpoint=c.Endpoint(c.EndpointKind.TRUNK, trunk, number),
                            variables={VAR_FAX_FILE: inner})

    async def on_asterisk() -> tuple[dict[str, str], dict[str, str]]:
        pbx = sandbox.pbx
        async with ami_session(pbx) as pbx_events, ami_session(sandbox.world) as world_events, \
                AmiClient(pbx.host, pbx.port, pbx.username, pbx.secret, node="pbx") as client:
            await client.execute(originate)
            sent = await _user_event(pbx_events, "SwitchboardFax", name)
            return sent, await _user_event(world_events, "WorldFax")

    async def on_freeswitch() -> dict[str, str]:
        assert sock is not None
        request = render(originate, DialConfig(), job_uuid=str(uuid.uuid4()))
        async with ami_session(sandbox.world) as world_events:
            assert sock.send(request.text).get("Reply-Text").startswith("+OK Job-UUID")
            return await _user_event(world_events, "WorldFax")

    if kind is PbxKind.ASTERISK:
        sent, received = asyncio.run(on_asterisk())
        assert sent["Direction"] == "out"
        return {k: sent[k] for k in ("Status", "Pages", "Mode")}, received
    received = asyncio.run(on_freeswitch())
    return _fax_result(sock, "spandsp::txfaxresult", channel), received


#: The mode a PBX reports for a fax that went T.38: Asterisk's FAXMODE, mod_spandsp's fax-t38-status.
T38_USED = {PbxKind.ASTERISK: "T38", PbxKind.FREESWITCH: "negotiated"}


@BOTH_PBXES
def test_the_world_receives_the_pbx_fax(request, sandbox, document, kind):
    tiff, sent_pages = document
    faxes.sync(sandbox.settings)
    if kind is PbxKind.ASTERISK:
        sent, received = pbx_sends(sandbox, kind, world.TRUNK, tiff)
    else:
        _, sock = request.getfixturevalue("fs_fax_events")
        sent, received = pbx_sends(sandbox, kind, fsnode.GATEWAY, tiff, sock)
    assert (sent["Status"], sent["Pages"]) == ("SUCCESS", "3"), sent
    assert (received["Status"], received["Pages"]) == ("SUCCESS", "3")
    # The world's ReceiveFAX re-invites to T.38 at once; SendFAX / txfax take it up.
    assert (sent["Mode"], received["Mode"]) == (T38_USED[kind], "T38")
    assert_same_pages(nodes(sandbox.settings)["world"].host(received["File"]), sent_pages)


@BOTH_PBXES
def test_the_pbx_receives_the_world_fax(request, sandbox, document, kind):
    tiff, sent_pages = document
    faxes.sync(sandbox.settings)
    inner = _world_copy(sandbox, tiff)

    async def on_asterisk() -> tuple[dict[str, str], dict[str, str]]:
        async with ami_session(sandbox.pbx) as pbx_events:
            sent = await _world_sends(sandbox, f"PJSIP/{world.PBX_FAX_DID}@pbx", inner)
            return sent, await _user_event(pbx_events, "SwitchboardFax")

    if kind is PbxKind.ASTERISK:
        sent, received = asyncio.run(on_asterisk())
        assert received["Direction"] == "in"
        stored = nodes(sandbox.settings)["pbx"].host(received["File"])
    else:
        _, sock = request.getfixturevalue("fs_fax_events")
        sent = asyncio.run(_world_sends(sandbox, f"PJSIP/{world.FREESWITCH_FAX_DID}@freeswitch", inner))
        received = _fax_result(sock, "spandsp::rxfaxresult")
        stored = Path(received["File"])
    assert (sent["Status"], sent["Pages"]) == ("SUCCESS", "3")
    assert (received["Status"], received["Pages"]) == ("SUCCESS", "3"), received
    # SendFAX waits for the receiver to ask for T.38: ReceiveFAX does at once, rxfax after 50 packets of
    # audio (fax_enable_t38_request).
    assert (sent["Mode"], received["Mode"]) == ("T38", T38_USED[kind]), received
    assert received["Caller"] == CALLER
    assert_same_pages(stored, sent_pages)


def test_five_at_once_through_the_runner_four_are_sent_and_the_fifth_waits_for_a_line(sandbox, tmp_path):
    """Five one-page faxes queued as the admin queues them: the pbx's runner dials four (its node's
    four lines), the fifth once a line is free; the world receives each one once."""
    faxes.sync(sandbox.settings)
    kit = Kit(sandbox, tmp_path, kind=PbxKind.ASTERISK)
    area = random_area_code()
    numbers = [world.world_number(world.Outcome.FAX, serial=i, area_code=area) for i in range(1, 6)]
    try:
        sent = asyncio.run(lab_fax.send_through_runner(kit, lab_fax.pdf(1), numbers, FAX_TIMEOUT_S))
    finally:
        kit.close()
    assert [(r.status, r.pages_sent, r.attempts) for r in sent.rows] == [(FaxStatus.SENT, 1, 1)] * 5
    assert lab_fax.most_at_once(sent.rows) == 4
    first_four_ends = [r.finished_at for r in sent.rows[:4] if r.finished_at]
    fifth = sent.rows[4].started_at
    assert fifth is not None
    assert fifth >= min(first_four_ends)  # it waited for a line
    assert set(sent.received) == {n.lstrip("+") for n in numbers}
