"""Fax benchmark: faxes sent by both PBXes to the sandbox world's fax machine, every page checked.

``python -m bench.fax [--faxes N]`` (run under the sandbox lock): converts a
three-page document to TIFF-F, sends it N times from the Asterisk pbx
(``sb-fax-out``, through the AMI adapter) and N times from the FreeSWITCH node
(through the ESL adapter), both PBXes at once, each through its node's fax lines
(:mod:`orchestrator.fax`, 4 channels), and compares every page the world
received with the page sent. Prints
``RESULT fax fax_pages_ok=<n> fax_pages_sent=<n>`` (target: equal).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

from ami.connection import AmiClient
from ami.session import AmiSession, ami_session
from esl.render import DialConfig, render
from lab.campaign import random_area_code, sandbox_up
from lab.esl_watcher import EventSocket
from lab.sandbox import faxes, fsbuild, fsnode, fsrender, world
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.layout import nodes, paths
from orchestrator import commands as c
from orchestrator.fax import FAX_OUT_ROUTE, VAR_FAX_FILE, FaxLines, FaxOutcome, FaxStart
from runner import faxdocs
from settings import Settings, load_settings

PAGES = 3
TIMEOUT_S = 180.0
MIN_SIMILARITY = 0.9
DOCUMENT = "%!PS\n/Helvetica-Bold findfont 60 scalefont setfont\n" + "".join(
    f"72 700 moveto (Page {n}) show {60 * n} {80 * n} 200 200 rectfill showpage\n"
    for n in range(1, PAGES + 1))


def _pages_ok(received: Path, sent: list[faxdocs.Page]) -> int:
    """Received pages most like the page sent in their place, and alike enough."""
    pdf = received.with_suffix(".bench.pdf")
    faxdocs.to_pdf(received, pdf)
    try:
        got = faxdocs.rasterise(pdf)
    finally:
        pdf.unlink()
    ok = 0
    for index, page in enumerate(got[:len(sent)]):
        scores = [faxdocs.similarity(page, s) for s in sent]
        ok += scores[index] >= MIN_SIMILARITY and max(scores) == scores[index]
    return ok


async def _world_results(session: AmiSession, numbers: set[str]) -> dict[str, str]:
    """Number -> received file, for every number in ``numbers`` (the world's WorldFax events)."""
    files: dict[str, str] = {}
    while len(files) < len(numbers):
        message = await session.wait_event(
            lambda m: m.get("UserEvent") == "WorldFax" and str(m.get("Number")) in numbers - files.keys(),
            timeout=TIMEOUT_S)
        files[str(message.get("Number"))] = str(message.get("File"))
    return files


async def _send(settings: Settings, faxes_n: int, tiff: Path, kind: str, area: str) -> dict[str, str]:
    """Send ``faxes_n`` copies from ``kind``'s node through the fax lines; the world's files by number."""
    numbers = {i: world.world_number(world.Outcome.FAX, serial=i, area_code=area).lstrip("+")
               for i in range(1, faxes_n + 1)}
    info = sandbox_up(settings)
    lines = FaxLines()
    async with ami_session(info.world) as world_events:
        if kind == "asterisk":
            copy = paths(settings).fax_dir / f"bench-{uuid.uuid4().hex[:8]}.tif"
            shutil.copy(tiff, copy)
            inner = f"{paths(settings).fax_dir_in_pbx}/{copy.name}"
            pbx = info.pbx
            async with ami_session(pbx) as pbx_events, \
                    AmiClient(pbx.host, pbx.port, pbx.username, pbx.secret, node="pbx") as client:
                async def start(s: FaxStart) -> None:
                    await client.execute(c.Originate(
                        attempt_id=f"benchfax{s.fax_id}", channel_id=str(uuid.uuid4()), route=FAX_OUT_ROUTE,
                        endpoint=c.Endpoint(c.EndpointKind.TRUNK, world.TRUNK, numbers[s.fax_id]),
                        timeout_s=30, variables={VAR_FAX_FILE: inner}))

                starts = [s for i in numbers for s in lines.submit(i, now=0)]
                seen: list[object] = []
                done = 0
                while done < faxes_n:
                    for s in starts:
                        await start(s)
                    message = await pbx_events.wait_event(
                        lambda m: m.get("UserEvent") == "SwitchboardFax" and m.get("File") == inner
                        and m not in seen, timeout=TIMEOUT_S)
                    seen.append(message)
                    done += 1
                    outcome = FaxOutcome.SENT if message.get("Status") == "SUCCESS" else FaxOutcome.FAILED
                    fax_id = int(str(message.get("Attempt")).removeprefix("benchfax"))
                    starts, _ = lines.finished(fax_id, outcome, now=done)
                return await _world_results(world_events, set(numbers.values()))
        fs = fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))
        copy = fsrender.fax_dir(fs) / f"bench-{uuid.uuid4().hex[:8]}.tif"
        shutil.copy(tiff, copy)
        with EventSocket("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password) as sock:
            sock.send("event plain CUSTOM spandsp::txfaxresult")
            channels: dict[str, int] = {}
            starts = [s for i in numbers for s in lines.submit(i, now=0)]
            done = 0
            while done < faxes_n:
                for s in starts:
                    channel = str(uuid.uuid4())
                    channels[channel] = s.fax_id
                    endpoint = c.Endpoint(c.EndpointKind.TRUNK, fsnode.GATEWAY, numbers[s.fax_id])
                    sock.send(render(c.Originate(
                        attempt_id=f"benchfax{s.fax_id}", channel_id=channel, route=FAX_OUT_ROUTE,
                        timeout_s=30, endpoint=endpoint, variables={VAR_FAX_FILE: str(copy)}),
                        DialConfig(), job_uuid=str(uuid.uuid4())).text)
                event = await asyncio.to_thread(
                    sock.wait_for, lambda e: e.get("Unique-ID") in channels, TIMEOUT_S)
                fax_id = channels.pop(event.get("Unique-ID"))
                done += 1
                outcome = FaxOutcome.SENT if event.get("fax-success") == "1" else FaxOutcome.FAILED
                starts, _ = lines.finished(fax_id, outcome, now=done)
        return await _world_results(world_events, set(numbers.values()))


async def _both(settings: Settings, faxes_n: int, tiff: Path) -> list[dict[str, str]]:
    """Both PBXes at once (each through its own four lines): the world's files by number, per PBX."""
    return list(await asyncio.gather(*(_send(settings, faxes_n, tiff, kind, random_area_code())
                                       for kind in ("asterisk", "freeswitch"))))


def measure(settings: Settings, faxes_n: int) -> tuple[int, int]:
    """Send ``faxes_n`` faxes of ``PAGES`` pages from each PBX; (pages received alike, pages sent)."""
    sandbox_up(settings, "freeswitch")
    faxes.sync(settings)
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "doc.ps").write_text(DOCUMENT)
        tiff = Path(work) / "doc.tif"
        faxdocs.to_tiff(Path(work) / "doc.ps", tiff)
        sent_pdf = Path(work) / "sent.pdf"
        faxdocs.to_pdf(tiff, sent_pdf)
        sent = faxdocs.rasterise(sent_pdf)
        far = nodes(settings)["world"]
        ok = 0
        for kind, files in zip(("asterisk", "freeswitch"), asyncio.run(_both(settings, faxes_n, tiff)),
                               strict=True):
            pages = sum(_pages_ok(far.host(f), sent) for f in files.values())
            print(f"{kind}: {len(files)} faxes received, {pages}/{PAGES * faxes_n} pages ok")
            ok += pages
    return ok, 2 * PAGES * faxes_n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faxes", type=int, default=5, help="faxes per PBX (5: one waits for a channel)")
    args = parser.parse_args()
    ok, total = measure(load_settings(), args.faxes)
    print(f"RESULT fax fax_pages_ok={ok} fax_pages_sent={total}")


if __name__ == "__main__":
    main()
