"""A campaign row as the core's ``CampaignConfig`` (the one place that maps the two).

The compliance profile travels whole: its rules (``orchestrator.compliance``)
hold the row's own settings to the profile's floors — the cap, the enforced
abandon windows, the quiet period after an abandon, the dials per number — so
a row edited outside the form cannot loosen them. Calling hours are the row's,
every window of every day (the form keeps them inside the profile's; an empty
table means any time, which only the demo and tests write).
"""

from __future__ import annotations

from orchestrator.compliance import rules_for
from orchestrator.dialer import CampaignConfig, DialMode
from orchestrator.leads.hours import ALWAYS, CallingHours
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.rules import DEFAULT_DELAYS, LeadRules, clamp_duration
from orchestrator.quality.survey import SurveyConfig, prompt_name
from provisioning.trunks import present_caller_id
from store.models import Campaign, InboundRoute

ALL_DAY = ALWAYS
DEFAULT_TRUNK = "world"
MAX_RING_TIMEOUT_S = 300  # what an Originate accepts


def calling_hours(table: dict[str, list[list[str]]]) -> CallingHours:
    """The stored table as the core's hours (every window of every day; ``{}``: any time)."""
    return CallingHours.from_table(table)


def lead_rules(campaign: Campaign) -> LeadRules:
    profile = rules_for(campaign.compliance_profile)
    delays = dict(DEFAULT_DELAYS)
    limits: dict[Outcome, int] = {}
    for rule in campaign.retry_rules:
        delays[rule.outcome] = clamp_duration(float(rule.delay_s))
        if rule.max_attempts is not None:
            limits[rule.outcome] = rule.max_attempts
    return LeadRules(max_attempts=campaign.max_attempts, delays=delays, max_per_outcome=limits,
                     abandon_no_recall_s=profile.no_recall_s(float(campaign.abandon_no_recall_s)),
                     calling_hours=calling_hours(campaign.calling_hours or {}),
                     attempt_limit=profile.attempt_limit)


def trunk_rules(campaign: Campaign) -> tuple[str, int]:
    """The caller ID the campaign's trunk presents, and the lines the campaign may hold through it.

    The trunk's channel limit caps the campaign's lines (0: no limit), so a campaign never
    dials more calls at once than its carrier takes; the limit itself also reaches the core
    (``CampaignConfig.trunk_limit``), which counts every channel the node holds on the trunk.
    """
    trunk = campaign.trunk_row
    if trunk is None:
        return campaign.caller_id, campaign.max_lines
    caller_id = present_caller_id(campaign.caller_id, trunk.caller_id, trunk.strip_prefix, trunk.add_prefix)
    limit = trunk.channel_limit
    return caller_id, min(campaign.max_lines, limit) if limit else campaign.max_lines


def survey_config(row: Campaign | InboundRoute) -> SurveyConfig | None:
    """The core's survey of a campaign or inbound route (None: none asked); an uploaded prompt by the
    name it has in every node's prompts directory (``provisioning.prompts`` writes it there)."""
    if not row.survey_enabled:
        return None
    prompt = prompt_name(row.survey_owner, row.id) if row.survey_prompt_name else ""
    second = prompt_name(row.survey_owner, row.id, second=True) if row.survey_second_prompt_name else ""
    return SurveyConfig(row.survey_sound, row.survey_second_sound, row.survey_low_below, prompt, second)


def campaign_config(campaign: Campaign, **overrides: object) -> CampaignConfig:
    """The core's view of ``campaign`` on an Asterisk node (whose routes handle machines)."""
    profile = rules_for(campaign.compliance_profile)
    caller_id, max_lines = trunk_rules(campaign)
    values: dict[str, object] = dict(
        campaign_id=campaign.id, mode=DialMode(campaign.mode.value), trunk=campaign.trunk or DEFAULT_TRUNK,
        caller_id=caller_id, amd=campaign.amd_enabled,
        machine_action=campaign.amd_action, route_handles_machines=True,
        record_calls=campaign.record_calls, message_sound=campaign.machine_message_file or "",
        abandon_sound=campaign.abandon_message_file or "",
        wrap_up_s=clamp_duration(float(campaign.wrap_up_s)),
        ring_timeout_s=min(max(int(campaign.ring_timeout_s), 1), MAX_RING_TIMEOUT_S),
        abandon_cap=profile.cap(float(campaign.abandon_cap)),
        abandon_windows=profile.windows(campaign.abandon_window_s),
        abandon_after_s=profile.abandon_message_after_s,
        max_lines=max_lines, trunk_limit=campaign.trunk_row.channel_limit if campaign.trunk_row else 0,
        compliance=profile.profile,
        amd_false_positive_rate=float(campaign.amd_false_positive_rate), lead_rules=lead_rules(campaign),
        survey=survey_config(campaign),
    )
    values.update(overrides)
    return CampaignConfig(**values)  # type: ignore[arg-type]

