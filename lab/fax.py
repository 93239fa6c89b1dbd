"""Faxes sent as users send them, on the live sandbox: queued in the database as the admin's send form
queues them (:func:`web.fax.services.new_fax`), taken and sent by the node's runner through its fax
lines, received by the world's fax machine, whose ``WorldFax`` events say where each one's TIFF went.

Shared by :mod:`bench.fax` and the live five-at-once test, so both measure the path users take, not
the PBXes driven directly.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ami.session import AmiSession, ami_session
from lab.campaign import Kit
from lab.sandbox.layout import nodes
from store.enums import FaxStatus
from store.models import FaxOut
from web.fax.services import Upload, new_fax

_PAGE = ("/Helvetica-Bold findfont 60 scalefont setfont 72 700 moveto (Page {n}) show "
         "{x} {y} 200 200 rectfill showpage\n")
#: A fax is over once its row says so (a retry is not over).
FINAL = (FaxStatus.SENT, FaxStatus.FAILED, FaxStatus.INTERRUPTED)


@dataclass(frozen=True)
class FaxRow:
    """What the runner wrote about one fax."""

    id: int
    destination: str
    status: FaxStatus
    pages: int | None
    pages_sent: int
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Sent:
    rows: list[FaxRow]
    #: Destination (as the world dialed it, no "+") -> the TIFF the world stored, as this host reaches it.
    received: dict[str, Path]


def pdf(pages: int = 1) -> bytes:
    """A PDF of ``pages`` A4 pages that look nothing alike (numbered, a square moving across), rendered
    with Ghostscript: a received page must be most like the page it was sent as."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "doc.ps", Path(work) / "doc.pdf"
        source.write_text("%!PS\n" + "".join(_PAGE.format(n=n, x=60 * n, y=80 * n)
                                              for n in range(1, pages + 1)))
        subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4",
                        f"-sOutputFile={target}", str(source)], check=True, capture_output=True)
        return target.read_bytes()


def queue(kit: Kit, document: bytes, numbers: list[str]) -> None:
    """Queue one fax of ``document`` to each number, as the admin's send form does."""
    with kit.sessions.begin() as s:
        s.add_all(new_fax(Upload("bench.pdf", document), number, None) for number in numbers)


def rows(kit: Kit) -> list[FaxRow]:
    with kit.sessions() as s:
        return [FaxRow(r.id, r.destination, r.status, r.pages, r.pages_sent, r.attempts, r.started_at,
                       r.finished_at) for r in s.scalars(select(FaxOut).order_by(FaxOut.id))]


def most_at_once(sent: list[FaxRow]) -> int:
    """The most faxes that were on a line at the same time (from each one's start and end)."""
    moments = sorted((t, step) for r in sent if r.started_at and r.finished_at
                     for t, step in ((r.started_at, 1), (r.finished_at, -1)))
    most = now = 0
    for _, step in moments:
        now += step
        most = max(most, now)
    return most


async def _world_received(session: AmiSession, numbers: set[str], timeout: float) -> dict[str, str]:
    """Number -> the file the world stored, for every number in ``numbers`` (its WorldFax events)."""
    files: dict[str, str] = {}
    while len(files) < len(numbers):
        message = await session.wait_event(
            lambda m: m.get("UserEvent") == "WorldFax" and str(m.get("Number")) in numbers - files.keys(),
            timeout=timeout)
        files[str(message.get("Number"))] = str(message.get("File"))
    return files


async def send_through_runner(kit: Kit, document: bytes, numbers: list[str], timeout: float) -> Sent:
    """Queue a fax to each of ``numbers``, run the node's runner until every one is over, and return
    the rows and what the world received."""
    queue(kit, document, numbers)
    runner = kit.runner()
    wanted = {n.lstrip("+") for n in numbers}
    async with ami_session(kit.sandbox.world) as world_events:  # type: ignore[attr-defined]
        runner.start()
        try:
            received = await _world_received(world_events, wanted, timeout)
            await asyncio.to_thread(kit.wait_for, "every fax's result",
                                    lambda s: all(r.status in FINAL for r in s.scalars(select(FaxOut))),
                                    runner, timeout)
        finally:
            runner.stop()
    far = nodes(kit.sandbox.settings)["world"]  # type: ignore[attr-defined]
    return Sent(rows(kit), {n: far.host(f) for n, f in received.items()})
