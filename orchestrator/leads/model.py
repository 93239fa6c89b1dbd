"""What the core knows about a lead, and what it decides about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.status import LeadStatus


@dataclass(frozen=True, slots=True)
class Lead:
    """One claimed contact. ``attempts`` counts dials made *before* this one.

    ``outcome_counts`` (past attempts per outcome value) is only needed when
    the campaign limits attempts per outcome; ``recent_dials`` (when this
    *number* was dialed lately, by any campaign) only when the compliance
    profile limits dials per number. The runner fills both from the attempts
    table.
    """

    lead_id: int
    number: str  # E.164, with '+'
    attempts: int = 0
    timezone: str | None = None  # explicit IANA zone; None: derived from the number
    last_abandon_at: float | None = None  # no recall for the rules' quiet period after it
    callback_agent_id: int | None = None  # a callback promised by this agent
    outcome_counts: Mapping[str, int] = field(default_factory=dict)
    recent_dials: tuple[float, ...] = ()  # epoch seconds


@dataclass(frozen=True, slots=True)
class LeadUpdate:
    """What to write back to the lead row; the runner applies it in order."""

    lead_id: int
    status: LeadStatus
    attempts: int
    next_attempt_at: float | None = None
    last_outcome: Outcome | None = None
    last_abandon_at: float | None = None
    no_recall_until: float | None = None  # last_abandon_at + the quiet period, for the claim query
    callback_agent_id: int | None = None
    reason: str = ""
