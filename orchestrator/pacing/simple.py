"""The two textbook baselines: progressive 1:1 and a fixed lines-per-ready-agent ratio.

Both count every line not yet bridged (ringing, awaiting AMD, customers
waiting) as already serving a ready agent, so they never stack lines on top of
calls in flight. Neither learns anything.
"""

from __future__ import annotations

from orchestrator.events import AgentState
from orchestrator.pacing.base import PacingState


def _in_flight(state: PacingState) -> int:
    return state.lines_ringing + state.customers_waiting


class ProgressivePolicy:
    """One line per ready agent: no abandons by construction, idle while phones ring."""

    name = "progressive"
    #: The answer depends on the agents' states and the line counts only (a simulator need not
    #: ask again while they did not change).
    counts_only = True

    def lines_to_dial(self, state: PacingState) -> int:
        return max(0, min(state.count(AgentState.READY) - _in_flight(state), state.max_lines))

    def observe(self, event: object) -> None:
        """Learns nothing."""


class FixedRatioPolicy:
    """``ratio`` lines per ready agent (rounded), whatever the abandon rate does."""

    counts_only = True  # as ProgressivePolicy

    def __init__(self, ratio: float) -> None:
        if ratio < 1.0:
            raise ValueError(f"ratio below 1 line per ready agent: {ratio}")
        self.ratio = ratio
        self.name = f"ratio {ratio:.2f}"

    def lines_to_dial(self, state: PacingState) -> int:
        target = round(self.ratio * state.count(AgentState.READY))
        return max(0, min(target - _in_flight(state), state.max_lines))

    def observe(self, event: object) -> None:
        """Learns nothing."""
