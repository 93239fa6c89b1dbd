"""Pacing: how many new lines to dial now, as a pure function of what is observed.

:mod:`~orchestrator.pacing.base` is the interface (state in, observations to
learn from); :mod:`~orchestrator.pacing.catalog` builds the policies by name.
"""

from orchestrator.pacing.base import (
    Abandoned,
    AgentView,
    CallResult,
    Connected,
    DialOutcome,
    Observation,
    PacingPolicy,
    PacingState,
    TalkEnded,
    WrapEnded,
)

__all__ = ["Abandoned", "AgentView", "CallResult", "Connected", "DialOutcome", "Observation", "PacingPolicy",
           "PacingState", "TalkEnded", "WrapEnded"]
