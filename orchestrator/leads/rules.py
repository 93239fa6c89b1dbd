"""Retry/recycle per outcome, max attempts, the post-abandon quiet period, DNC and hours.

Three questions, three functions:

* :func:`after_attempt`: the attempt ended with an outcome; when (if ever) is
  the lead dialed again?
* :func:`after_disposition`: the agent classified a connected call; does the
  call's update stand, or is the lead recycled or promised back to that agent?
* :func:`check_before_dial`: a lead was claimed; may it be dialed *now*? If
  not, the returned update releases it to the right later time (or ends it).

After an abandon the lead is not dialed for ``abandon_no_recall_s`` (72 h by
default) from ``last_abandon_at``; every function honours it, so neither a
short retry delay nor a callback can shorten it. Updates also carry
``no_recall_until`` for the store's claim query. A lead with
``callback_agent_id`` stays that agent's callback when retried or released.

A profile may cap the dials of one *number* over a rolling window (France: 4
in 30 days, over every campaign): :class:`AttemptLimit`, counted on
``Lead.recent_dials``, holds the lead until the oldest dial leaves the window.

Every duration is clamped to ``[0, MAX_DELAY_S]`` where it is used, so no
stored value (a retry delay of 9e12 s) can push a date past what ``datetime``
holds and crash the runner: a rule can only ever mean "a long time".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from orchestrator.leads.hours import CallingHours, lead_zones, next_allowed
from orchestrator.leads.model import Lead, LeadUpdate
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.status import LeadStatus

HOUR = 3600.0
DAY = 24 * HOUR
MAX_DELAY_S = 366 * DAY  # a year and a day: longer than any rule needs, far from datetime's limits


def clamp_duration(seconds: float) -> float:
    """``seconds`` within ``[0, MAX_DELAY_S]``; NaN or infinity mean the longest (never "now")."""
    if math.isnan(seconds):
        return MAX_DELAY_S
    return min(max(seconds, 0.0), MAX_DELAY_S)


@dataclass(frozen=True, slots=True)
class AttemptLimit:
    """At most ``attempts`` dials of one number within any ``window_s`` (over every campaign)."""

    attempts: int
    window_s: float

    def free_at(self, dials: Iterable[float], now: float) -> float | None:
        """When the number may be dialed again (None: now), given its dial times."""
        window = clamp_duration(self.window_s)
        recent = sorted(t for t in dials if t > now - window)
        if len(recent) < self.attempts:
            return None
        return recent[len(recent) - self.attempts] + window


DEFAULT_DELAYS: Mapping[Outcome, float] = MappingProxyType({
    Outcome.BUSY: 10 * 60.0,
    Outcome.NO_ANSWER: 2 * HOUR,
    Outcome.REJECTED: 4 * HOUR,
    Outcome.CONGESTION: 5 * 60.0,
    Outcome.MACHINE: 4 * HOUR,
    Outcome.ABANDONED: 72 * HOUR,
    Outcome.EARLY_HANGUP: 2 * HOUR,
    Outcome.FAILED: 15 * 60.0,
    Outcome.LOST: 15 * 60.0,
    Outcome.CONNECTED: 24 * HOUR,  # used when a disposition recycles a connected lead
})


@dataclass(frozen=True, slots=True)
class LeadRules:
    max_attempts: int = 5  # over all outcomes
    delays: Mapping[Outcome, float] = field(default_factory=lambda: DEFAULT_DELAYS)
    #: Optional limits per outcome (the store's retry rules), counted with ``Lead.outcome_counts``.
    max_per_outcome: Mapping[Outcome, int] = field(default_factory=dict)
    abandon_no_recall_s: float = 72 * HOUR
    calling_hours: CallingHours = field(default_factory=CallingHours)
    default_timezone: str = "UTC"  # for numbers whose zone phonenumbers cannot tell
    #: Dials per number over a rolling window (the compliance profile's), counted on ``Lead.recent_dials``.
    attempt_limit: AttemptLimit | None = None

    def delay(self, outcome: Outcome) -> float:
        return clamp_duration(self.delays.get(outcome, self.delays.get(Outcome.FAILED, HOUR)))

    def quiet_until(self, lead: Lead | LeadUpdate) -> float | None:
        at = lead.last_abandon_at
        return None if at is None else at + clamp_duration(self.abandon_no_recall_s)


def after_attempt(lead: Lead, outcome: Outcome, now: float, rules: LeadRules) -> LeadUpdate:
    """Schedule (or finish) the lead after one more dial ended with ``outcome``."""
    abandoned_at = now if outcome is Outcome.ABANDONED else lead.last_abandon_at
    update = LeadUpdate(lead.lead_id, LeadStatus.DONE, lead.attempts + 1, last_outcome=outcome,
                        last_abandon_at=abandoned_at, callback_agent_id=lead.callback_agent_id)
    update = replace(update, no_recall_until=rules.quiet_until(update))
    if outcome is Outcome.CONNECTED:
        return replace(update, callback_agent_id=None)
    if outcome is Outcome.INVALID_NUMBER:
        return replace(update, status=LeadStatus.INVALID)
    limit = rules.max_per_outcome.get(outcome)
    same = lead.outcome_counts.get(outcome.value, 0) + 1
    if update.attempts >= rules.max_attempts or (limit is not None and same >= limit):
        return replace(update, reason="max attempts")
    retry_at = max(now + rules.delay(outcome), update.no_recall_until or 0.0)
    if rules.attempt_limit is not None:
        free = rules.attempt_limit.free_at((*lead.recent_dials, now), now)
        retry_at = max(retry_at, free or 0.0)
    return replace(update, status=_waiting(lead), next_attempt_at=retry_at)


def after_disposition(lead: Lead, now: float, rules: LeadRules, *, final: bool, agent_id: int,
                      callback_at: float | None) -> LeadUpdate | None:
    """``lead`` as updated by its connected call. None: that update (DONE) stands."""
    quiet = rules.quiet_until(lead)
    if callback_at is not None:
        callback_at = now + clamp_duration(callback_at - now)
        return LeadUpdate(lead.lead_id, LeadStatus.CALLBACK, lead.attempts, max(callback_at, quiet or 0.0),
                          last_abandon_at=lead.last_abandon_at, no_recall_until=quiet,
                          callback_agent_id=agent_id, reason="callback")
    if final or lead.attempts >= rules.max_attempts:
        return None
    return LeadUpdate(lead.lead_id, LeadStatus.PENDING, lead.attempts,
                      max(now + rules.delay(Outcome.CONNECTED), quiet or 0.0),
                      last_abandon_at=lead.last_abandon_at, no_recall_until=quiet,
                      reason="recycled by disposition")


def check_before_dial(lead: Lead, now: float, rules: LeadRules, on_dnc_list: bool) -> LeadUpdate | None:
    """None if the lead may be dialed now; else the update that releases it (or ends it)."""
    if on_dnc_list:
        return LeadUpdate(lead.lead_id, LeadStatus.DNC, lead.attempts, reason="dnc")
    if lead.attempts >= rules.max_attempts:
        return LeadUpdate(lead.lead_id, LeadStatus.DONE, lead.attempts, reason="max attempts")
    quiet = rules.quiet_until(lead)
    if quiet is not None and now < quiet:
        return release(lead, quiet, rules, "abandon quiet period")
    if rules.attempt_limit is not None:
        free = rules.attempt_limit.free_at(lead.recent_dials, now)
        if free is not None:
            return release(lead, free, rules, "attempts per number")
    zones = lead_zones(lead.number, lead.timezone, rules.default_timezone)
    allowed = next_allowed(now, zones, rules.calling_hours)
    if allowed == now:
        return None
    # No shared window within a week: look again tomorrow rather than never.
    return release(lead, allowed if allowed is not None else now + 24 * HOUR, rules, "outside calling hours")


def release(lead: Lead, at: float, rules: LeadRules, reason: str) -> LeadUpdate:
    """Give a claimed, undialed lead back, due at ``at`` (its attempt count unchanged)."""
    return LeadUpdate(lead.lead_id, _waiting(lead), lead.attempts, at, last_abandon_at=lead.last_abandon_at,
                      no_recall_until=rules.quiet_until(lead), callback_agent_id=lead.callback_agent_id,
                      reason=reason)


def _waiting(lead: Lead) -> LeadStatus:
    return LeadStatus.CALLBACK if lead.callback_agent_id is not None else LeadStatus.PENDING
