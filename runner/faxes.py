"""The node's faxes: queued faxes from the database sent through the fax lines, received ones stored.

The pure decisions (4 lines for the node, a queue, retries after busy or no
answer) are :class:`orchestrator.fax.FaxLines`; this is the IO around them:

* :meth:`NodeFaxes.claim` takes the queued faxes no runner took yet (``FOR
  UPDATE SKIP LOCKED``, so several nodes share the queue), converts each
  upload into a TIFF-F in the node's fax dir (:mod:`runner.faxdocs`) and hands
  it to the lines; a document that does not convert fails with the reason;
* :meth:`NodeFaxes.handle` takes the events about our fax attempts (attempt id
  ``fax-<id>-<try>``) and the fax dialplan signals (``fax``, ``fax_incoming``,
  ``fax_busy``) and returns a :class:`Step`: originates for the faxes the
  lines start, facts for the fact writers (``runner.fact_writers.faxes``);
* a received fax's TIFF is turned into the PDF the inbox shows, here, so the
  web app (maybe on another host) only ever reads the database;
* a try the previous run of the runner left "sending" is never dialed again
  blindly (the recipient could get the fax twice): its channel (kept on the
  row) still on the PBX, the new run waits for its result as its own; its
  result already signalled, that result counts; its channel gone unheard, the
  fax ends "interrupted", and a person decides whether to send it anew.

The PBX counts the same 4 lines for received faxes and turns one away busy
when they are all taken; the lines here only learn of them, so a fax we send
waits for a line a received one holds.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orchestrator import commands as c
from orchestrator import fax
from orchestrator.events import DialplanSignal, Event, HungUp, OriginateFailed, PbxConnected, Tick
from orchestrator.step import Fact, Step
from runner import faxdocs
from runner.campaign_config import DEFAULT_TRUNK
from settings import Settings
from store import models as m
from store.enums import FaxStatus

log = logging.getLogger("runner.fax")

#: Faxes taken from the queue per claim (the rest wait for the next poll).
CLAIM_BATCH = 20
RING_TIMEOUT_S = 30
#: How long a try that hung up waits for its fax result before it counts as failed with the hang-up cause.
RESULT_GRACE_S = 10.0
#: Results of tries this run does not hold, kept for an adoption that may come next (a few per restart).
MAX_ORPHANS = 256


INTERRUPTED = ("the runner stopped during this try and its call had ended when it came back: the far end "
               "may have some pages or all; send it again if needed")
LINK_LOST = "the PBX link went down during this try: the far end may have some pages or all"


@dataclass(frozen=True)
class FaxConfig:
    """A node's fax settings as its runner needs them."""

    policy: fax.FaxPolicy = field(default_factory=fax.FaxPolicy)
    #: The node's fax dir as this runner sees it, and as the PBX sees it ("": the same path).
    fax_dir: Path = Path("/var/spool/asterisk/fax")
    fax_dir_in_pbx: str = ""
    trunk: str = DEFAULT_TRUNK

    @classmethod
    def from_settings(cls, settings: Settings) -> FaxConfig:
        return cls(fax.FaxPolicy(settings.fax_channels, settings.fax_max_tries, settings.fax_retry_delay_s),
                   settings.fax_dir, settings.fax_dir_in_pbx, settings.fax_trunk or DEFAULT_TRUNK)

    def in_pbx(self, path: Path) -> str:
        """``path`` (in the fax dir) as the PBX names it."""
        return str(PurePosixPath(self.fax_dir_in_pbx or str(self.fax_dir)) / path.name)

    def here(self, pbx_path: str) -> Path:
        """A file the PBX named, as this runner reaches it."""
        return self.fax_dir / PurePosixPath(pbx_path).name


def _fields(event: DialplanSignal) -> dict[str, str]:
    return {k.lower(): v for k, v in event.fields}


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


class _Result(NamedTuple):
    """How one try or one reception ended."""

    outcome: fax.FaxOutcome
    pages: int = 0
    station: str = ""
    error: str = ""


def _result(event: DialplanSignal) -> _Result:
    """The fax result a ``fax`` signal carries (the PBX's FAXSTATUS, FAXPAGES, REMOTESTATIONID, FAXERROR)."""
    f = _fields(event)
    ok = f.get("status") == "SUCCESS"
    return _Result(fax.FaxOutcome.SENT if ok else fax.FaxOutcome.FAILED, _int(f.get("pages", "")),
                   f.get("station", "")[:64], "" if ok else f.get("error", "")[:255])


class NodeFaxes:
    """The fax lines of one node and what the runner keeps about the faxes on them."""

    def __init__(self, node_id: int, config: FaxConfig | None = None) -> None:
        self.node_id = node_id
        self.config = config or FaxConfig()
        self.lines = fax.FaxLines(self.config.policy)
        self._destination: dict[int, str] = {}  # fax id -> number, while it is ours
        self._file: dict[int, Path] = {}  # fax id -> its TIFF
        self._live: dict[str, int] = {}  # channel id -> fax id, a try in progress
        self._called: dict[str, str] = {}  # channel id of a fax being received -> our DID
        self._awaited: dict[str, tuple[float, _Result]] = {}  # hung up, its fax result due by then
        self._pbx_live: frozenset[str] | None = None  # the PBX's channels when the link last came up
        self._orphans: dict[str, _Result] = {}  # channel -> result of a try no fax of ours held

    # --- the queue in the database ---

    def claim(self, session: Session, now: float) -> Step:
        """Take queued faxes (ours from a previous run first) and hand them to the lines."""
        query = (select(m.FaxOut)
                 .where(or_(m.FaxOut.node_id.is_(None), m.FaxOut.node_id == self.node_id),
                        m.FaxOut.status.in_((FaxStatus.QUEUED, FaxStatus.SENDING, FaxStatus.RETRYING)),
                        m.FaxOut.id.not_in(list(self._destination) or [0]))
                 .order_by(m.FaxOut.id).limit(CLAIM_BATCH).with_for_update(skip_locked=True))
        facts: list[Fact] = []
        starts: list[fax.FaxStart] = []
        for row in session.scalars(query):
            if row.node_id is not None and row.node_id != self.node_id:
                continue
            if row.status is FaxStatus.SENDING:  # a try of the previous run
                more, ended = self._adopt(row, now)
                starts += more
                facts += [ended] if ended else []
                continue
            row.node_id = self.node_id
            try:
                row.pages = self._convert(row)
            except (faxdocs.FaxDocumentError, OSError) as exc:
                log.warning("fax document not sendable fax=%s error=%s", row.id, exc)
                facts.append(fax.FaxNotSendable(now, row.id, f"the document could not be converted: {exc}"))
                continue
            self._destination[row.id] = row.destination
            starts += self.lines.submit(row.id, now)
            log.info("fax queued fax=%s pages=%s queued=%d", row.id, row.pages, self.lines.queued)
        return self._start(starts, now, facts)

    def _adopt(self, row: m.FaxOut, now: float) -> tuple[list[fax.FaxStart], fax.FaxTryEnded | None]:
        """Hold the line of a try the previous run started: still on the PBX, its result will come;
        signalled since the link came up, that result ends it; else it was lost with the old run."""
        self._destination[row.id] = row.destination
        self._file[row.id] = self.config.fax_dir / f"out-{row.id}.tif"
        self.lines.adopt(row.id, row.attempts)
        channel = row.channel_id or f"unknown-{row.id}"
        self._live[channel] = row.id
        if channel in self._orphans:
            return self._end(channel, now, self._orphans.pop(channel))
        if self._pbx_live is not None and channel in self._pbx_live:
            log.info("fax try of the previous run still on the PBX fax=%s try=%d", row.id, row.attempts)
            return [], None
        log.warning("fax try interrupted fax=%s try=%d: its channel ended while no runner watched",
                    row.id, row.attempts)
        return self._end(channel, now, _Result(fax.FaxOutcome.INTERRUPTED, error=INTERRUPTED))

    def _convert(self, row: m.FaxOut) -> int:
        """The row's upload as a TIFF-F in the fax dir; its page count."""
        self.config.fax_dir.mkdir(parents=True, exist_ok=True)
        suffix = PurePosixPath(row.document_name).suffix.lower() or ".pdf"
        upload = self.config.fax_dir / f"out-{row.id}-upload{suffix}"
        tiff = self.config.fax_dir / f"out-{row.id}.tif"
        upload.write_bytes(row.document)
        try:
            pages = faxdocs.to_tiff(upload, tiff)
        finally:
            upload.unlink(missing_ok=True)
        if pages < 1:
            raise faxdocs.FaxDocumentError("no page in the document")
        tiff.chmod(0o644)  # the PBX runs as its own user
        self._file[row.id] = tiff
        return pages

    # --- events ---

    def handle(self, event: Event) -> Step | None:
        """The step for a fax event; None when ``event`` is none of the faxes' business."""
        now = event.at
        if isinstance(event, Tick):
            overdue = [(ch, result) for ch, (due, result) in self._awaited.items() if due <= now]
            return self._end_many(overdue, now)
        if isinstance(event, PbxConnected):
            self._pbx_live = event.live_channel_ids
            lost = _Result(fax.FaxOutcome.INTERRUPTED, error=LINK_LOST)
            return self._end_many([(ch, lost) for ch in self._live if ch not in event.live_channel_ids], now)
        if isinstance(event, DialplanSignal) and event.name in (fax.SIGNAL_INCOMING, fax.SIGNAL_BUSY):
            return self._incoming(event)
        if isinstance(event, DialplanSignal) and event.name == fax.SIGNAL_RESULT:
            if _fields(event).get("direction") == "in":
                return self._received(event)
            return self._try_ended(event.channel_id, now, _result(event))
        if fax.fax_of(getattr(event, "attempt_id", None)) is None:
            return None
        if isinstance(event, OriginateFailed | HungUp):
            return self._hung_up(event, now)
        return Step()  # our fax channel's other events: nothing to do

    def _hung_up(self, event: OriginateFailed | HungUp, now: float) -> Step:
        """Busy or no answer end the try; any other hang-up waits a little for the fax result, which
        FreeSWITCH may report after the hang-up (Asterisk's h extension reports it before)."""
        outcome = fax.outcome_of_cause(event.cause)
        reason = event.reason if isinstance(event, OriginateFailed) else event.cause_text
        result = _Result(outcome, error=reason if outcome is fax.FaxOutcome.FAILED else outcome.value)
        if outcome is fax.FaxOutcome.FAILED and isinstance(event, HungUp) and event.channel_id in self._live:
            self._awaited[event.channel_id] = (now + RESULT_GRACE_S, result)
            return Step()
        return self._try_ended(event.channel_id, now, result)

    def _try_ended(self, channel_id: str, now: float, result: _Result) -> Step:
        if channel_id not in self._live:  # a try of the previous run, not claimed yet (or over already)
            self._orphans[channel_id] = result
            while len(self._orphans) > MAX_ORPHANS:
                del self._orphans[next(iter(self._orphans))]
        starts, ended = self._end(channel_id, now, result)
        return self._start(starts, now, [ended] if ended else [])

    def _end(self, channel_id: str, now: float,
             result: _Result) -> tuple[list[fax.FaxStart], fax.FaxTryEnded | None]:
        """Free the try's line; the faxes that may start now and what to write (nothing when the try's
        result came already: a HungUp after the fax signal)."""
        self._awaited.pop(channel_id, None)
        fax_id = self._live.pop(channel_id, None)
        if fax_id is None:
            return [], None
        attempt = self.lines.attempt_of(fax_id)
        starts, done = self.lines.finished(fax_id, result.outcome, now)
        log.info("fax try ended fax=%s try=%d outcome=%s pages=%d final=%s", fax_id, attempt,
                 result.outcome.value, result.pages, done is not None)
        if done is not None:
            self._forget(fax_id)
        return starts, fax.FaxTryEnded(now, fax_id, attempt, result.outcome, done is not None, result.pages,
                                       result.station, result.error)

    def _end_many(self, tries: list[tuple[str, _Result]], now: float) -> Step:
        """End these tries (channel, result); start what the lines allow now (due retries included)."""
        facts: list[Fact] = []
        starts: list[fax.FaxStart] = []
        for channel_id, result in tries:
            more, ended = self._end(channel_id, now, result)
            starts += more
            facts += [ended] if ended else []
        return self._start([*starts, *self.lines.tick(now)], now, facts)

    def _start(self, starts: list[fax.FaxStart], now: float, facts: list[Fact] | None = None) -> Step:
        facts = list(facts or ())
        commands: list[c.Command] = []
        for start in starts:
            channel_id = str(uuid.uuid4())
            self._live[channel_id] = start.fax_id
            facts.append(fax.FaxTryStarted(now, start.fax_id, start.attempt, channel_id))
            commands.append(c.Originate(
                attempt_id=fax.attempt_id(start.fax_id, start.attempt), channel_id=channel_id,
                route=fax.FAX_OUT_ROUTE, timeout_s=RING_TIMEOUT_S,
                endpoint=c.Endpoint(c.EndpointKind.TRUNK, self.config.trunk, self._destination[start.fax_id]),
                variables={fax.VAR_FAX_FILE: self.config.in_pbx(self._file[start.fax_id])}))
        return Step(tuple(commands), tuple(facts))

    def _forget(self, fax_id: int) -> None:
        self._destination.pop(fax_id, None)
        path = self._file.pop(fax_id, None)
        if path is not None:
            path.unlink(missing_ok=True)

    # --- received faxes ---

    def _incoming(self, event: DialplanSignal) -> Step:
        f = _fields(event)
        if event.name == fax.SIGNAL_BUSY:
            log.info("fax turned away busy caller=%s", f.get("caller", ""))
            return Step(facts=(fax.FaxReceived(event.at, f.get("caller", "")[:32], f.get("called", "")[:32],
                                               ok=False, busy=True, error="all fax lines busy"),))
        self._called[event.channel_id] = f.get("called", "")
        return self._start(self.lines.incoming(True, event.at), event.at)

    def _received(self, event: DialplanSignal) -> Step:
        f = _fields(event)
        called = self._called.pop(event.channel_id, f.get("called", ""))
        result = _result(event)
        received = fax.FaxReceived(event.at, f.get("caller", "")[:32], called[:32],
                                   ok=result.outcome is fax.FaxOutcome.SENT, pages=result.pages,
                                   station=result.station, error=result.error,
                                   pdf=self._pdf(f.get("file", ""), result.pages))
        log.info("fax received caller=%s pages=%s ok=%s", received.caller, received.pages, received.ok)
        return self._start(self.lines.incoming(False, event.at), event.at, [received])

    def _pdf(self, pbx_path: str, pages: int) -> bytes | None:
        """The received TIFF as a PDF (None when nothing arrived), the TIFF then removed."""
        if not pbx_path or pages < 1:
            return None
        tiff = self.config.here(pbx_path)
        pdf = tiff.with_suffix(".pdf")
        try:
            faxdocs.to_pdf(tiff, pdf)
            return pdf.read_bytes()
        except (faxdocs.FaxDocumentError, OSError) as exc:
            log.warning("received fax not readable file=%s error=%s", tiff, exc)
            return None
        finally:
            pdf.unlink(missing_ok=True)

