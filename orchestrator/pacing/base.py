"""The one interface every pacing policy implements.

The runner (live) and the simulator (simulated time) build the same
:class:`PacingState` on every ``Tick`` and ask the campaign's policy how many
new lines to dial. Policies may keep learned statistics between calls (they
are objects), but they never see the PBX, the database or the wall clock:
``now`` comes in the state, so the simulator can run a day in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.events import AgentState


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: int
    state: AgentState
    seconds_in_state: float


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
    lines_ringing: int  # originated, not yet answered or failed
    customers_waiting: int  # answered humans not yet bridged to an agent
    abandon_cap: float  # e.g. 0.03
    windows: tuple[AbandonWindow, ...] = ()
    stats: OutcomeStats = field(default_factory=OutcomeStats)
    max_lines: int = 1000  # what the PBX node sustains (throttle)

    def count(self, state: AgentState) -> int:
        return sum(1 for a in self.agents if a.state is state)


class PacingPolicy(Protocol):
    name: str

    def lines_to_dial(self, state: PacingState) -> int:
        """New originates to place now (>= 0). Called on every Tick."""
        ...

    def observe(self, event: object) -> None:
        """Learn from an outcome (answer, hangup, abandon, AMD verdict...). May ignore it."""
        ...
