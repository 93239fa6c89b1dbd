"""The one interface every pacing policy implements, and what it observes.

The runner (live) and the simulator (simulated time) build the same
:class:`PacingState` on every ``Tick`` and ask the campaign's policy how many
new lines to dial. Policies may keep learned statistics between calls (they
are objects), but they never see the PBX, the database or the wall clock:
``now`` comes in the state, so the simulator can run a day in seconds.

Feeding a policy (what the live runner must do)
-----------------------------------------------
* On every tick: ``policy.lines_to_dial(PacingState(...))`` with the agents
  (state and since when), lines still ringing (and, if known, when each was
  dialed: ``ring_started``), answered lines awaiting the AMD verdict
  (``lines_answered``), customers waiting for an agent, the cap and the
  rolling :class:`AbandonWindow` counts of :mod:`orchestrator.compliance`.
* On outcomes: ``policy.observe(obs)`` with the observation dataclasses below
  (:class:`DialOutcome` when a line's fate is known, :class:`Connected`,
  :class:`Abandoned`, :class:`TalkEnded`, :class:`WrapEnded`). They carry
  durations, not PBX identifiers, so a runner derives them from its own call
  book in one place. Policies ignore any other object passed to ``observe``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from orchestrator.events import AgentState


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: int
    state: AgentState
    seconds_in_state: float
    #: When the agent entered ``state`` (same clock as ``PacingState.now``). Optional: a
    #: caller that keeps views between ticks sets it so ``elapsed(now)`` stays right.
    since: float | None = None
    #: Ground truth, known only to a simulator: when this agent will be free again.
    #: Only the talk-time oracle reads it; a live runner never sets it.
    free_at: float | None = None
    #: The agent announced they leave (break, lunch, log-out) at this time; ``<= now`` means
    #: "pause after this call". The policy stops counting on them for new customers.
    leaving_at: float | None = None

    def elapsed(self, now: float) -> float:
        return self.seconds_in_state if self.since is None else now - self.since


@dataclass(frozen=True, slots=True)
class OutcomeStats:
    """Counts over the campaign's recent history, for policies that learn online."""

    dials: int = 0
    live_answers: int = 0
    machines: int = 0
    abandons: int = 0
    # Durations observed so far (seconds); policies may fit distributions to them.
    ring_times: tuple[float, ...] = ()
    talk_times: tuple[float, ...] = ()
    wrap_times: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class AbandonWindow:
    """Abandons and live answers over one rolling compliance window (24 h or 30 days)."""

    seconds: float
    abandons: int
    live_answers: int
    amd_false_positives_estimate: float = 0.0


@dataclass(frozen=True, slots=True)
class PacingState:
    now: float
    agents: tuple[AgentView, ...]
    lines_ringing: int  # originated, not yet answered or failed (includes lines_answered)
    customers_waiting: int  # answered humans not yet bridged to an agent
    abandon_cap: float  # e.g. 0.03
    windows: tuple[AbandonWindow, ...] = ()
    stats: OutcomeStats = field(default_factory=OutcomeStats)
    max_lines: int = 1000  # what the PBX node sustains (throttle)
    #: Of ``lines_ringing``: answered, waiting for the AMD verdict.
    lines_answered: int = 0
    #: Dial times of the lines still ringing (not answered), if the caller knows them.
    ring_started: tuple[float, ...] = ()

    def count(self, state: AgentState) -> int:
        return [a.state for a in self.agents].count(state)  # asked every second: no generator


class CallResult(StrEnum):
    LIVE = "live"  # AMD (or no AMD) says a person: needs an agent
    MACHINE = "machine"  # AMD says machine: hung up
    FAILED = "failed"  # busy, congestion, invalid number
    NO_ANSWER = "no_answer"  # rang until the dialer gave up


@dataclass(frozen=True, slots=True)
class DialOutcome:
    """A line's fate is known. ``ring_s``: dial to answer (or to failure); ``setup_s``:
    dial to the moment the line needs an agent (the AMD verdict) or is over."""

    at: float
    result: CallResult
    ring_s: float
    setup_s: float


@dataclass(frozen=True, slots=True)
class Connected:
    """A live customer was bridged to an agent after waiting ``wait_s`` from the verdict."""

    at: float
    wait_s: float


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A live customer got no agent in time (the dialer played the message)."""

    at: float


@dataclass(frozen=True, slots=True)
class TalkEnded:
    at: float
    talk_s: float


@dataclass(frozen=True, slots=True)
class WrapEnded:
    at: float
    wrap_s: float


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


class PacingReason(StrEnum):
    """Why the dial level is what it is, for a supervisor (most binding first)."""

    AMD_UNREACHABLE = "amd_unreachable"  # the AMD's false positives alone exceed the cap
    CAP_BRAKE = "cap_brake"  # a window is close to (or over) the cap
    CHANGE = "change"  # the answer rate or handle time just changed; relearning
    LEARNING = "learning"  # too few outcomes yet to trust the model
    DEPARTURES = "departures"  # agents announced they leave: not counted for new customers
    FEW_AGENTS = "few_agents"  # a small team: one abandon is a large share of the day
    PACE = "pace"  # nothing holds it back: as many lines as the agents' expected availability allows


@dataclass(frozen=True, slots=True)
class PacingExplanation:
    """What a policy says about its last decision: a pure value the runner stores and the
    wallboard shows. Rates are fractions (0.03 = 3 %)."""

    at: float
    lines: int  # new lines it asked for
    reasons: tuple[PacingReason, ...]
    cap: float
    target_rate: float  # abandon rate the controller now aims at
    worst_window_rate: float  # the regulator's rate in the worst rolling window
    answer_rate: float  # P(live | dial) the model uses
    dials_learned: int  # dials the answer rate is worth
    agents: int  # logged in
    leaving: int  # of them, announced they leave
    amd_fp_share: float = 0.0  # estimated false positives / (live + false positives)

    def text(self) -> str:
        """One line per reason, with the numbers, for people."""
        lines = {
            PacingReason.AMD_UNREACHABLE:
                f"AMD false positives alone are {_pct(self.amd_fp_share)} of live answers, over the "
                f"{_pct(self.cap)} cap: no dialing can meet it; dialing is held near zero abandons",
            PacingReason.CAP_BRAKE:
                f"abandon brake: worst window {_pct(self.worst_window_rate)} of a {_pct(self.cap)} cap, "
                f"aiming at {_pct(self.target_rate)}",
            PacingReason.CHANGE: f"answer rate or handle time changed: relearning (answer rate "
                                 f"{_pct(self.answer_rate)})",
            PacingReason.LEARNING: f"learning: answer rate {_pct(self.answer_rate)} from "
                                   f"{self.dials_learned} dials",
            PacingReason.DEPARTURES: f"{self.leaving} of {self.agents} agents announced they leave",
            PacingReason.FEW_AGENTS: f"{self.agents} agents: margin {_pct(self.cap - self.target_rate)} "
                                     "under the cap for a small team's noisy day",
            PacingReason.PACE: f"dialing {self.lines} lines at the agents' expected availability "
                               f"(answer rate {_pct(self.answer_rate)})",
        }
        return "; ".join(lines[r] for r in self.reasons)


Observation = DialOutcome | Connected | Abandoned | TalkEnded | WrapEnded


class PacingPolicy(Protocol):
    name: str

    def lines_to_dial(self, state: PacingState) -> int:
        """New originates to place now (>= 0). Called on every Tick."""
        ...

    def observe(self, event: object) -> None:
        """Learn from an outcome (an :data:`Observation`); ignore anything else."""
        ...


class Explains(Protocol):
    """A policy that can say why it dials as it does (``PredictivePolicy``)."""

    def explain(self) -> PacingExplanation | None:
        """The explanation of the last ``lines_to_dial`` (None before the first)."""
        ...
