"""Fax benchmark: faxes queued in the database and sent by each PBX's runner to the sandbox world's fax
machine, every page checked.

``python -m bench.fax [--faxes N]`` (run under the sandbox lock): N three-page
PDFs are queued for the Asterisk pbx's node and N for the FreeSWITCH node, each
node in a database of its own, as the admin's send form queues them
(:mod:`lab.fax`); each node's runner (``switchboard runner``) converts them to
TIFF-F and sends them through its four fax lines (a fifth waits for a line),
both PBXes at once. Every page the world received is compared with the page
sent. Prints ``RESULT fax fax_pages_ok=<n> fax_pages_sent=<n>`` (target: equal).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from lab import fax as lab_fax
from lab.campaign import Kit, random_area_code, sandbox_up
from lab.sandbox import faxes, world
from runner import faxdocs
from settings import Settings, load_settings
from store.enums import FaxStatus, PbxKind

PAGES = 3
TIMEOUT_S = 180.0
MIN_SIMILARITY = 0.9


def pages_ok(received: Path, sent: list[faxdocs.Page]) -> int:
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


async def _both(settings: Settings, faxes_n: int, document: bytes, work: Path) -> dict[PbxKind, lab_fax.Sent]:
    """Each PBX's runner sends ``faxes_n`` faxes, both at once, to numbers of an area code of its own."""
    sandbox = sandbox_up(settings, "freeswitch")

    async def one(kind: PbxKind) -> lab_fax.Sent:
        (work / kind.value).mkdir()
        kit = Kit(sandbox, work / kind.value, kind=kind)
        area = random_area_code()
        numbers = [world.world_number(world.Outcome.FAX, serial=i, area_code=area)
                   for i in range(1, faxes_n + 1)]
        try:
            return await lab_fax.send_through_runner(kit, document, numbers, TIMEOUT_S)
        finally:
            kit.close()

    kinds = (PbxKind.ASTERISK, PbxKind.FREESWITCH)
    return dict(zip(kinds, await asyncio.gather(*(one(k) for k in kinds)), strict=True))


def measure(settings: Settings, faxes_n: int) -> tuple[int, int]:
    """Send ``faxes_n`` faxes of ``PAGES`` pages through each PBX's runner; (pages received alike, pages
    sent)."""
    sandbox_up(settings, "freeswitch")
    faxes.sync(settings)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "doc.pdf").write_bytes(lab_fax.pdf(PAGES))
        tiff = work / "doc.tif"
        faxdocs.to_tiff(work / "doc.pdf", tiff)
        faxdocs.to_pdf(tiff, work / "sent.pdf")  # the pages as the fax sends them (TIFF-F resolution)
        sent = faxdocs.rasterise(work / "sent.pdf")
        ok = 0
        results = asyncio.run(_both(settings, faxes_n, (work / "doc.pdf").read_bytes(), work))
        for kind, result in results.items():
            pages = sum(pages_ok(f, sent) for f in result.received.values())
            statuses = [r.status for r in result.rows]
            print(f"{kind}: {statuses.count(FaxStatus.SENT)}/{faxes_n} sent by the runner "
                  f"(at most {lab_fax.most_at_once(result.rows)} at once), {len(result.received)} received, "
                  f"{pages}/{PAGES * faxes_n} pages ok")
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
