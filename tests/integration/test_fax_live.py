"""Faxes through the real sandbox: the pbx sends to the world's fax machine and receives from it.

A three-page PDF is converted to TIFF-F (Ghostscript), sent over the trunk
with ``SendFAX``/``ReceiveFAX`` (spandsp), and the TIFF the far end stored is
compared with the one sent: the same page count, and every page most like
the page it was sent as.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from ami.connection import AmiClient
from lab.ami_session import AmiSession, ami_session
from lab.sandbox import faxes, world
from lab.sandbox.layout import nodes, paths
from orchestrator import commands as c
from orchestrator.fax import FAX_OUT_ROUTE, VAR_FAX_FILE
from runner import faxdocs

pytestmark = pytest.mark.sandbox

FAX_TIMEOUT_S = 120.0  # three fine pages at 14400 bit/s take ~40 s; retraining at a lower rate takes longer
MIN_SIMILARITY = 0.9

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
def document(tmp_path_factory) -> tuple[Path, list[bytes]]:
    """The TIFF to send and its pages rasterised (as the admin would show them)."""
    work = tmp_path_factory.mktemp("fax")
    (work / "doc.ps").write_text(DOCUMENT)
    tiff = work / "doc.tif"
    assert faxdocs.to_tiff(work / "doc.ps", tiff) == 3
    return tiff, _pages(tiff)


def _pages(tiff: Path) -> list[bytes]:
    pdf = tiff.with_suffix(".pdf")
    faxdocs.to_pdf(tiff, pdf)
    return faxdocs.rasterise(pdf)


def assert_same_pages(received: Path, sent_pages: list[bytes]) -> None:
    got = _pages(received)
    assert len(got) == len(sent_pages)
    for index, page in enumerate(got):
        scores = [faxdocs.similarity(page, sent) for sent in sent_pages]
        assert scores[index] >= MIN_SIMILARITY, scores
        assert max(range(len(scores)), key=scores.__getitem__) == index, scores


def _fields(message) -> dict[str, str]:
    return {k: str(v) for k, v in message.items()}


async def _user_event(session: AmiSession, name: str, file: str) -> dict[str, str]:
    message = await session.wait_event(
        lambda m: m.get("Event") == "UserEvent" and m.get("UserEvent") == name and m.get("File", "") .endswith(file)
        if file else m.get("Event") == "UserEvent" and m.get("UserEvent") == name,
        timeout=FAX_TIMEOUT_S)
    return _fields(message)


def test_the_world_receives_the_pbx_fax(sandbox, document):
    tiff, sent_pages = document
    faxes.sync(sandbox.settings)
    name = f"out-{uuid.uuid4().hex[:8]}.tif"
    shutil.copy(tiff, paths(sandbox.settings).fax_dir / name)
    number = world.world_number(world.Outcome.FAX, serial=int(uuid.uuid4().int % 1000))
    originate = c.Originate(
        attempt_id="fax1", channel_id=str(uuid.uuid4()), route=FAX_OUT_ROUTE,
        endpoint=c.Endpoint(c.EndpointKind.TRUNK, world.TRUNK, number), timeout_s=30,
        variables={VAR_FAX_FILE: f"{paths(sandbox.settings).fax_dir_in_pbx}/{name}"})

    async def main() -> tuple[dict[str, str], dict[str, str]]:
        pbx, far = sandbox.pbx, sandbox.world
        async with ami_session(pbx) as pbx_events, ami_session(far) as world_events, \
                AmiClient(pbx.host, pbx.port, pbx.username, pbx.secret, node="pbx") as client:
            await client.execute(originate)
            sent = await _user_event(pbx_events, "SwitchboardFax", name)
            received = await _user_event(world_events, "WorldFax", "")
            return sent, received

    sent, received = asyncio.run(main())
    assert (sent["Direction"], sent["Status"], sent["Pages"]) == ("out", "SUCCESS", "3")
    assert (received["Status"], received["Pages"]) == ("SUCCESS", "3")
    assert_same_pages(nodes(sandbox.settings)["world"].host(received["File"]), sent_pages)


def test_the_pbx_receives_the_world_fax(sandbox, document):
    tiff, sent_pages = document
    faxes.sync(sandbox.settings)
    far = nodes(sandbox.settings)["world"]
    name = f"in-{uuid.uuid4().hex[:8]}.tif"
    inner = far.base / "spool" / "fax" / name
    shutil.copy(tiff, far.host(inner))

    async def main() -> tuple[dict[str, str], dict[str, str]]:
        async with ami_session(sandbox.pbx) as pbx_events, ami_session(sandbox.world) as world_events:
            await world_events.action({
                "Action": "Originate", "Channel": f"PJSIP/{world.PBX_FAX_DID}@pbx",
                "Context": world.FAX_SEND_CONTEXT, "Exten": "s", "Priority": "1", "Async": "true",
                "CallerID": "12125550123", "Timeout": "30000", "Variable": f"fax_file={inner}"}, as_list=False)
            sent = await _user_event(world_events, "WorldFaxSent", name)
            received = await _user_event(pbx_events, "SwitchboardFax", "")
            return sent, received

    sent, received = asyncio.run(main())
    assert (sent["Status"], sent["Pages"]) == ("SUCCESS", "3")
    assert (received["Direction"], received["Status"], received["Pages"]) == ("in", "SUCCESS", "3")
    assert received["Caller"] == "12125550123"
    assert_same_pages(nodes(sandbox.settings)["pbx"].host(received["File"]), sent_pages)
