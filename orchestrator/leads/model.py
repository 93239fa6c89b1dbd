"""What the core knows about a lead, and what it decides about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orchestrator.leads.outcomes import Outcome


@dataclass(frozen=True, slots=True)
class Lead:
    """One claimed contact. ``attempts`` counts dials made *before* this one."""

    lead_id: int
    number: str  # E.164, with '+'
    attempts: int = 0
    timezone: str | None = None  # explicit IANA zone; else derived from the number
    last_abandon_at: float | None = None


class LeadStatus(StrEnum):
    PENDING = "pending"  # dial again at ``next_attempt_at``
    CALLBACK = "callback"  # an agent scheduled it for themself (shown to that agent, dialed as preview)
    DONE = "done"  # finished: connected, or out of attempts
    INVALID = "invalid"  # the number cannot be reached
    DNC = "dnc"  # on the do-not-call list


@dataclass(frozen=True, slots=True)
class LeadUpdate:
    """What to write back to the lead row; the runner applies it in order."""

    lead_id: int
    status: LeadStatus
    attempts: int
    next_attempt_at: float | None = None
    last_outcome: Outcome | None = None
    last_abandon_at: float | None = None
    callback_agent_id: int | None = None
    reason: str = ""
