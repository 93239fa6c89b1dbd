"""Pacing: how many new lines to dial now, as a pure function of what is observed."""

from orchestrator.pacing.base import AgentView, PacingPolicy, PacingState

__all__ = ["AgentView", "PacingPolicy", "PacingState"]
