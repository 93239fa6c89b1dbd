"""A campaign row as the core's ``CampaignConfig`` (the one place that maps the two).

Calling hours: the row may hold several windows per weekday
(``{"mon": [["10:00", "13:00"], ["14:00", "20:00"]]}``), the core one window
for all allowed days. The mapping is conservative: the longest window of each
day, intersected over the days, so the core never calls outside any of them
(an empty table means any time).
"""

from __future__ import annotations

from datetime import time

from orchestrator.compliance import ComplianceProfile
from orchestrator.dialer import CampaignConfig, DialMode, MachineAction
from orchestrator.leads.hours import CallingHours
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.rules import DEFAULT_DELAYS, LeadRules
from orchestrator.store.models import Campaign

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAY = CallingHours(time(0, 0), time.max, frozenset(range(7)))
DEFAULT_TRUNK = "world"


def calling_hours(table: dict[str, list[list[str]]]) -> CallingHours:
    if not table:
        return ALL_DAY
    days, starts, ends = set(), [], []
    for index, name in enumerate(DAYS):
        spans = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in table.get(name, [])]
        if not spans:
            continue
        start, end = max(spans, key=lambda s: (s[1].hour * 60 + s[1].minute) - (s[0].hour * 60 + s[0].minute))
        days.add(index)
        starts.append(start)
        ends.append(end)
    if not days or max(starts) >= min(ends):
        return CallingHours(time(0, 0), time(0, 0), frozenset())  # no common window: never
    return CallingHours(max(starts), min(ends), frozenset(days))


def lead_rules(campaign: Campaign) -> LeadRules:
    delays = dict(DEFAULT_DELAYS)
    limits: dict[Outcome, int] = {}
    for rule in campaign.retry_rules:
        delays[rule.outcome] = float(rule.delay_s)
        if rule.max_attempts is not None:
            limits[rule.outcome] = rule.max_attempts
    return LeadRules(max_attempts=campaign.max_attempts, delays=delays, max_per_outcome=limits,
                     abandon_no_recall_s=float(campaign.abandon_no_recall_s),
                     calling_hours=calling_hours(campaign.calling_hours or {}))


def campaign_config(campaign: Campaign, **overrides: object) -> CampaignConfig:
    """The core's view of ``campaign`` on an Asterisk node (whose routes handle machines)."""
    profile = ComplianceProfile.UK if campaign.compliance_profile.value == "uk" else ComplianceProfile.US
    values: dict[str, object] = dict(
        campaign_id=campaign.id, mode=DialMode(campaign.mode.value), trunk=campaign.trunk or DEFAULT_TRUNK,
        caller_id=campaign.caller_id, amd=campaign.amd_enabled,
        machine_action=MachineAction(campaign.amd_action.value), route_handles_machines=True,
        record_calls=campaign.record_calls, message_sound=campaign.machine_message_file or "",
        abandon_sound=campaign.abandon_message_file or "", wrap_up_s=float(campaign.wrap_up_s),
        ring_timeout_s=campaign.ring_timeout_s, abandon_cap=float(campaign.abandon_cap),
        max_lines=campaign.max_lines, compliance=profile,
        amd_false_positive_rate=float(campaign.amd_false_positive_rate), lead_rules=lead_rules(campaign),
    )
    values.update(overrides)
    return CampaignConfig(**values)  # type: ignore[arg-type]
