"""PLACEHOLDER predictive policy: a fixed lines-per-ready-agent ratio, 1:1 above the abandon cap.

Only here so predictive campaigns run (and are tested) before the pacing
issue's policies (``orchestrator.pacing``) are plugged in; the dialer takes
any :class:`~orchestrator.pacing.base.PacingPolicy`, so swapping it is one
constructor argument. It learns nothing and ignores ring/talk-time statistics.
"""

from __future__ import annotations

import math

from orchestrator.compliance import abandon_rate
from orchestrator.events import AgentState
from orchestrator.pacing.base import PacingState


class SimpleRatioPolicy:
    name = "simple-ratio-placeholder"

    def __init__(self, ratio: float = 1.5) -> None:
        if ratio < 1.0:
            raise ValueError("a predictive ratio below 1 line per agent is progressive dialing, badly")
        self.ratio = ratio

    def lines_to_dial(self, state: PacingState) -> int:
        over_cap = any(abandon_rate(w) >= state.abandon_cap for w in state.windows)
        ratio = 1.0 if over_cap else self.ratio
        target = math.floor(state.count(AgentState.READY) * ratio)
        return max(0, min(target - state.lines_ringing - state.customers_waiting, state.max_lines))

    def observe(self, event: object) -> None:
        """Learns nothing: a fixed ratio."""
