"""The fax lines of one node: a channel limit, a queue and retries (pure decisions, no IO).

A node has a fixed number of fax channels (4 for the reference customer),
shared by faxes sent and received. The PBX itself turns an incoming fax away
with busy when every channel is taken (its dialplan counts the channels, so
no round trip to the runner delays the answer); this state machine decides
for the faxes we send: it starts one only when a channel is free, keeps the
rest queued in submission order, and re-queues one that met busy or no
answer after a delay, up to a number of tries.

It is not an :class:`orchestrator.node.unit.Unit`: a unit exists to get
agents from the node's blending, and a fax never uses an agent; a plain
per-node object driven by the runner says the same with less.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import StrEnum

from orchestrator.step import Fact

#: The route a fax we send runs once the far end answers, and its channel variable: the TIFF to send.
FAX_OUT_ROUTE = "sb-fax-out"
VAR_FAX_FILE = "sb_fax_file"
#: Set by the PBX on a received fax: the DID it was sent to.
VAR_FAX_CALLED = "sb_fax_called"
#: The attempt ids of the faxes we send: ``fax-<fax id>-<try>``; events about them are the fax lines'.
FAX_ATTEMPT_PREFIX = "fax-"
#: The dialplan signals (``DialplanSignal.name``) of both PBXes: a fax try or reception ended (its
#: fields: Direction in/out, Status SUCCESS/FAILED, Pages, Station, Error, Caller, File), a received
#: fax took a line (Caller, Called, File), a fax was turned away busy (Caller).
SIGNAL_RESULT = "fax"
SIGNAL_INCOMING = "fax_incoming"
SIGNAL_BUSY = "fax_busy"


class FaxOutcome(StrEnum):
    """How one try at sending ended, as the adapters report it."""

    SENT = "sent"  # the far end confirmed every page
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # answered but the fax negotiation or transfer failed (error code kept)
    #: The runner stopped during the try and its channel was gone when the next run looked: the far end
    #: may have every page, some, or none. Never sent again by itself (the recipient could get it twice).
    INTERRUPTED = "interrupted"


#: Hang-up causes (Q.850) of a try that never reached a fax machine.
_CAUSE_OUTCOME = {17: FaxOutcome.BUSY, 18: FaxOutcome.NO_ANSWER, 19: FaxOutcome.NO_ANSWER}


def outcome_of_cause(cause: int) -> FaxOutcome:
    """How a try that ended before any fax result went: busy, no answer, or failed."""
    return _CAUSE_OUTCOME.get(cause, FaxOutcome.FAILED)


def attempt_id(fax_id: int, attempt: int) -> str:
    return f"{FAX_ATTEMPT_PREFIX}{fax_id}-{attempt}"


def fax_of(attempt: str | None) -> int | None:
    """The fax id in one of our fax attempt ids; None for any other attempt."""
    if not attempt or not attempt.startswith(FAX_ATTEMPT_PREFIX):
        return None
    head = attempt[len(FAX_ATTEMPT_PREFIX):].partition("-")[0]
    return int(head) if head.isdigit() else None


#: Outcomes worth another try later; a failed transfer is not (the far end is no fax, or refuses it).
RETRYABLE = frozenset({FaxOutcome.BUSY, FaxOutcome.NO_ANSWER})


@dataclass(frozen=True, slots=True)
class FaxPolicy:
    """A node's fax settings."""

    channels: int = 4
    max_tries: int = 3
    retry_delay_s: float = 60.0

    def __post_init__(self) -> None:
        if self.channels < 1 or self.max_tries < 1 or self.retry_delay_s < 0:
            raise ValueError(f"bad fax policy {self!r}")


@dataclass(frozen=True, slots=True)
class FaxStart:
    """Send fax ``fax_id`` now (try number ``attempt``, from 1)."""

    fax_id: int
    attempt: int


@dataclass(frozen=True, slots=True)
class FaxDone:
    """Fax ``fax_id`` is finished: ``outcome`` of its last try, after ``attempts`` tries."""

    fax_id: int
    outcome: FaxOutcome
    attempts: int


@dataclass
class FaxLines:
    """Which faxes hold a channel, which wait, and when the retries are due."""

    policy: FaxPolicy = field(default_factory=FaxPolicy)
    _queue: list[int] = field(default_factory=list)  # ready to send, oldest first
    _sending: dict[int, int] = field(default_factory=dict)  # fax id -> try number
    _later: list[tuple[float, int, int]] = field(default_factory=list)  # (due, fax id, tries so far)
    _tries: dict[int, int] = field(default_factory=dict)
    _incoming: int = 0

    @property
    def busy_channels(self) -> int:
        """Channels in use: faxes we send plus faxes being received."""
        return len(self._sending) + self._incoming

    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._later)

    def submit(self, fax_id: int, now: float) -> list[FaxStart]:
        """A new fax to send: start it if a channel is free, else it waits its turn."""
        if fax_id in self._tries:
            raise ValueError(f"fax {fax_id} already submitted")
        self._tries[fax_id] = 0
        self._queue.append(fax_id)
        return self.tick(now)

    def adopt(self, fax_id: int, attempt: int) -> None:
        """Try ``attempt`` of fax ``fax_id``, started by a previous run of the runner and maybe still on
        the PBX: it holds a channel until its end is known (:meth:`finished`); nothing is started."""
        if fax_id in self._tries:
            raise ValueError(f"fax {fax_id} already submitted")
        self._tries[fax_id] = attempt
        self._sending[fax_id] = attempt

    def attempt_of(self, fax_id: int) -> int:
        """The try number of fax ``fax_id``, being sent now."""
        return self._sending[fax_id]

    def incoming(self, started: bool, now: float) -> list[FaxStart]:
        """A received fax took (``started``) or freed a channel (the PBX already admitted it)."""
        self._incoming = max(0, self._incoming + (1 if started else -1))
        return self.tick(now)

    def finished(self, fax_id: int, outcome: FaxOutcome, now: float) -> tuple[list[FaxStart], FaxDone | None]:
        """A try ended: free its channel; retry later or report the fax done."""
        attempt = self._sending.pop(fax_id)
        done = None
        if outcome in RETRYABLE and attempt < self.policy.max_tries:
            heapq.heappush(self._later, (now + self.policy.retry_delay_s, fax_id, attempt))
        else:
            del self._tries[fax_id]
            done = FaxDone(fax_id, outcome, attempt)
        return self.tick(now), done

    def tick(self, now: float) -> list[FaxStart]:
        """Start what the free channels allow: due retries first (they waited longest), then the queue."""
        due = []
        while self._later and self._later[0][0] <= now:
            due.append(heapq.heappop(self._later)[1])
        self._queue[:0] = due
        starts = []
        while self._queue and self.busy_channels < self.policy.channels:
            fax_id = self._queue.pop(0)
            self._tries[fax_id] += 1
            self._sending[fax_id] = self._tries[fax_id]
            starts.append(FaxStart(fax_id, self._tries[fax_id]))
        return starts

    def next_wakeup(self) -> float | None:
        """When the next retry falls due (None: no retry pending)."""
        return self._later[0][0] if self._later else None


# --- facts: what the runner writes (``runner.fact_writers.faxes``) ---


@dataclass(frozen=True, slots=True)
class FaxTryStarted(Fact):
    """Try number ``attempt`` of fax ``fax_id`` is being dialed on channel ``channel_id`` (kept so the next
    run of the runner can tell whether the try is still on the PBX)."""

    fax_id: int
    attempt: int
    channel_id: str = ""


@dataclass(frozen=True, slots=True)
class FaxTryEnded(Fact):
    """A try ended; ``final``: the fax is done (sent or failed for good), else it is retried later."""

    fax_id: int
    attempt: int
    outcome: FaxOutcome
    final: bool
    pages: int = 0
    station: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class FaxNotSendable(Fact):
    """Fax ``fax_id`` cannot be sent at all (its document did not convert): failed with ``error``."""

    fax_id: int
    error: str


@dataclass(frozen=True, slots=True)
class FaxReceived(Fact):
    """A fax to one of our numbers: received (``ok``), failed half-way, or turned away ``busy``."""

    caller: str
    called: str
    ok: bool
    busy: bool = False
    pages: int = 0
    station: str = ""
    error: str = ""
    pdf: bytes | None = None
