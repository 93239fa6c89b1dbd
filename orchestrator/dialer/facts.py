"""What happened, for the runner to persist (attempts, calls, agent states, leads, dispositions).

The core returns these next to its PBX commands; it never writes anything
itself. Facts are in the order they happened; the runner writes them in one
transaction per step.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.events import AgentState, AmdVerdict
from orchestrator.leads.model import LeadUpdate
from orchestrator.leads.outcomes import Outcome
from orchestrator.step import Fact as Fact  # the base of every fact; readers of facts find it here too


@dataclass(frozen=True, slots=True)
class AttemptStarted(Fact):
    attempt_id: str
    campaign_id: int
    lead_id: int
    channel_id: str
    number: str
    agent_id: int | None = None  # preview: the agent who asked for it
    caller_id: str = ""  # the number presented to the customer (the call log's "From")


@dataclass(frozen=True, slots=True)
class AttemptAnswered(Fact):
    attempt_id: str


@dataclass(frozen=True, slots=True)
class AmdDecided(Fact):
    attempt_id: str
    verdict: AmdVerdict
    cause: str = ""  # "timeout" when the core stopped waiting for a verdict


@dataclass(frozen=True, slots=True)
class AttemptBridged(Fact):
    """The core asked the PBX to connect the customer to the agent and record the call."""

    attempt_id: str
    agent_id: int
    recording: str  # path relative to the PBX's recording directory; "" when not recorded
    waited_s: float  # from the verdict (or answer) to the bridge order


@dataclass(frozen=True, slots=True)
class AttemptUnbridged(Fact):
    """A call the store shows bridged was found in no bridge on the PBX: it waits for an agent again.

    The previous runner stored the bridge and died before the PBX made it (see ``CallFlow.unbridged``).
    """

    attempt_id: str


@dataclass(frozen=True, slots=True)
class AttemptAbandoned(Fact):
    attempt_id: str
    waited_s: float
    reason: str  # "no agent", "customer hung up", "pbx safety net", "lost"


@dataclass(frozen=True, slots=True)
class AttemptEnded(Fact):
    attempt_id: str
    outcome: Outcome
    cause: int = 0
    talk_s: float = 0.0


@dataclass(frozen=True, slots=True)
class LeadUpdated(Fact):
    update: LeadUpdate


@dataclass(frozen=True, slots=True)
class AgentStatus(Fact):
    agent_id: int
    state: AgentState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ComplianceCounted(Fact):
    """One increment of the campaign's abandon-rate counts (``compliance.AbandonCounter.record``).

    Persist by adding it to the campaign's one-minute bucket; the sums over all
    nodes give the campaign's rates (and ``AbandonCounter.restore`` input).
    """

    campaign_id: int
    live_answers: int = 0
    abandons: int = 0
    machines: int = 0


@dataclass(frozen=True, slots=True)
class DispositionRecorded(Fact):
    attempt_id: str
    agent_id: int
    code: str
    callback_at: float | None = None


@dataclass(frozen=True, slots=True)
class PacingExplained(Fact):
    """Why the campaign's predictive policy dials as it does (``PacingExplanation``), for the
    wallboard: emitted when the reasons change and at most every ``EXPLAIN_EVERY_S`` otherwise."""

    campaign_id: int
    reasons: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class TransferRefused(Fact):
    """The transfer was not done (nothing changed); ``reason`` is for the agent."""

    request_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class CallTransferred(Fact):
    """The customer of ``from_agent_id`` was bridged to ``to_agent_id``.

    ``attempt_id``: the campaign call's attempt (an outbound call, or an inbound one the queue's
    route made an attempt of: then ``call_id`` too); ``call_id``: an inbound call's PBX call id.
    """

    request_id: int
    from_agent_id: int
    to_agent_id: int
    attempt_id: str = ""
    call_id: str = ""
