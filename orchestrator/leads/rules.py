"""Retry/recycle per outcome, max attempts, the post-abandon quiet period, DNC and hours.

Two questions, two functions:

* :func:`after_attempt`: the attempt ended with an outcome; when (if ever) is
  the lead dialed again?
* :func:`check_before_dial`: a lead was claimed; may it be dialed *now*? If
  not, the returned update releases it to the right later time.

A lead whose call was abandoned is not dialed for ``abandon_no_recall_s``
(72 h by default), whatever the retry delay says: both functions enforce it,
so a callback or a manual recycle cannot shorten it either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from orchestrator.leads.hours import CallingHours, lead_zones, next_allowed
from orchestrator.leads.model import Lead, LeadStatus, LeadUpdate
from orchestrator.leads.outcomes import FINAL_OUTCOMES, Outcome

HOUR = 3600.0

DEFAULT_DELAYS: Mapping[Outcome, float] = MappingProxyType({
    Outcome.BUSY: 10 * 60.0,
    Outcome.NO_ANSWER: 2 * HOUR,
    Outcome.REJECTED: 4 * HOUR,
    Outcome.CONGESTION: 5 * 60.0,
    Outcome.MACHINE: 4 * HOUR,
    Outcome.ABANDONED: 72 * HOUR,
    Outcome.EARLY_HANGUP: 2 * HOUR,
    Outcome.FAILED: 15 * 60.0,
})


@dataclass(frozen=True, slots=True)
class LeadRules:
    max_attempts: int = 5
    delays: Mapping[Outcome, float] = field(default_factory=lambda: DEFAULT_DELAYS)
    abandon_no_recall_s: float = 72 * HOUR
    calling_hours: CallingHours = field(default_factory=CallingHours)
    default_timezone: str = "UTC"  # for numbers whose zone phonenumbers cannot tell


def after_attempt(lead: Lead, outcome: Outcome, now: float, rules: LeadRules) -> LeadUpdate:
    """Schedule (or finish) the lead after one more dial ended with ``outcome``."""
    attempts = lead.attempts + 1
    abandon_at = now if outcome is Outcome.ABANDONED else lead.last_abandon_at
    base = LeadUpdate(lead.lead_id, LeadStatus.DONE, attempts, None, outcome, abandon_at)
    if outcome is Outcome.INVALID_NUMBER:
        return replace(base, status=LeadStatus.INVALID)
    if outcome in FINAL_OUTCOMES:
        return base
    if attempts >= rules.max_attempts:
        return replace(base, reason="max attempts")
    retry_at = now + rules.delays.get(outcome, rules.delays.get(Outcome.FAILED, HOUR))
    if abandon_at is not None:
        retry_at = max(retry_at, abandon_at + rules.abandon_no_recall_s)
    return replace(base, status=LeadStatus.PENDING, next_attempt_at=retry_at)


def schedule_callback(lead: Lead, at: float, agent_id: int, rules: LeadRules) -> LeadUpdate:
    """An agent asked to call this lead back themself at ``at`` (never inside the abandon quiet period)."""
    if lead.last_abandon_at is not None:
        at = max(at, lead.last_abandon_at + rules.abandon_no_recall_s)
    return LeadUpdate(lead.lead_id, LeadStatus.CALLBACK, lead.attempts, at,
                      last_abandon_at=lead.last_abandon_at, callback_agent_id=agent_id)


def check_before_dial(lead: Lead, now: float, rules: LeadRules, on_dnc_list: bool) -> LeadUpdate | None:
    """None if the lead may be dialed now; else the update that releases it (or ends it)."""
    if on_dnc_list:
        return LeadUpdate(lead.lead_id, LeadStatus.DNC, lead.attempts, reason="dnc")
    if lead.attempts >= rules.max_attempts:
        return LeadUpdate(lead.lead_id, LeadStatus.DONE, lead.attempts, reason="max attempts")
    if lead.last_abandon_at is not None and now < lead.last_abandon_at + rules.abandon_no_recall_s:
        return _release(lead, lead.last_abandon_at + rules.abandon_no_recall_s, "abandon quiet period")
    zones = lead_zones(lead.number, lead.timezone, rules.default_timezone)
    allowed = next_allowed(now, zones, rules.calling_hours)
    if allowed == now:
        return None
    # No shared window within a week: look again tomorrow rather than never.
    return _release(lead, allowed if allowed is not None else now + 24 * HOUR, "outside calling hours")


def _release(lead: Lead, at: float, reason: str) -> LeadUpdate:
    return LeadUpdate(lead.lead_id, LeadStatus.PENDING, lead.attempts, at,
                      last_abandon_at=lead.last_abandon_at, reason=reason)
