"""Create/update campaigns from validated input, and change their desired state.

The web (or the scheduler) only writes ``desired_state``; runners obey it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from orchestrator.compliance import rules_for
from store.enums import OUTBOUND_MODES, CampaignMode, CampaignState, ComplianceProfile, MachineAction
from store.leads import assign_list
from store.models import Campaign, Disposition, LeadList, RetryRule, Team
from store.types import utcnow
from web.auth.roles import campaigns_within
from web.campaigns import checks
from web.campaigns.forms import (
    DispositionSpec,
    FormError,
    RetrySpec,
    ScheduleSpec,
    parse_dispositions,
    parse_hours,
    parse_retries,
)
from web.campaigns.profiles import ComplianceSettings
from web.campaigns.profiles import defaults as profile_defaults

DEFAULT_DISPOSITIONS = "SALE Sale +sale +amount\nCALLBACK Call back +callback\nNOINT Not interested\n"


@dataclass
class CampaignInput:
    """Everything the form carries, already split into typed values."""

    name: str
    mode: CampaignMode
    compliance_profile: ComplianceProfile
    abandon_cap_pct: str = ""  # empty: the profile's
    abandon_window_s: int | None = None  # None: the profile's
    abandon_no_recall_s: int | None = None  # None: the profile's
    calling_hours: str = ""  # empty: the profile's
    caller_id: str = ""
    trunk: str = ""
    ring_timeout_s: int = 25
    max_lines: int = 100
    max_attempts: int = 5
    wrap_up_s: int = 30
    record_calls: bool = True
    amd_enabled: bool = True
    amd_action: MachineAction = MachineAction.HANGUP
    amd_false_positive_pct: str = "0"
    abandon_message_text: str = ""
    abandon_message_uploaded: bool = False  # a recording comes with this form
    script: str = ""
    retries: str = ""
    dispositions: str = DEFAULT_DISPOSITIONS
    team_ids: list[int] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)
    schedule: ScheduleSpec | None = None


def visible_campaigns(session: Session, teams: frozenset[int] | None) -> list[Campaign]:
    """Campaigns in a scope (``team_scope``): a team leader's are those their teams work; None: all."""
    return list(session.scalars(select(Campaign).where(campaigns_within(teams)).order_by(Campaign.name)))


def _decimal(raw: str, what: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FormError(f"{what}: not a number") from None
    if not value.is_finite() or not low <= value <= high:
        raise FormError(f"{what} must be between {low} and {high}")
    return value


def save_campaign(session: Session, campaign: Campaign | None, data: CampaignInput) -> Campaign:
    name = data.name.strip()
    if not name or len(name) > 128:
        raise FormError("campaign name is required (up to 128 characters)")
    clash = session.scalar(select(Campaign.id).where(Campaign.name == name))
    if clash is not None and (campaign is None or clash != campaign.id):
        raise FormError(f"a campaign named {name!r} exists already")
    checks.RING_TIMEOUT.check(data.ring_timeout_s)
    checks.WRAP_UP.check(data.wrap_up_s)
    if not 1 <= data.max_lines <= 10000:
        raise FormError("max lines must be between 1 and 10000")
    if not 1 <= data.max_attempts <= 100:
        raise FormError("max attempts must be between 1 and 100")
    retries = checks.retries(parse_retries(data.retries))
    if data.mode not in OUTBOUND_MODES and (campaign is None or campaign.mode is not data.mode):
        raise FormError(f"mode: {data.mode.value} campaigns are not available yet")
    dispositions = parse_dispositions(data.dispositions)
    compliance = _compliance(campaign, data)
    caller_id = checks.caller_id(data.caller_id, data.compliance_profile)
    trunk = checks.trunk(session, data.trunk)
    if campaign is None:
        campaign = Campaign(name=name, mode=data.mode, compliance_profile=data.compliance_profile)
        session.add(campaign)
    campaign.name = name
    campaign.mode = data.mode
    campaign.compliance_profile = data.compliance_profile
    campaign.abandon_cap = compliance.abandon_cap
    campaign.abandon_window_s = compliance.abandon_window_s
    campaign.abandon_no_recall_s = compliance.abandon_no_recall_s
    campaign.calling_hours = compliance.calling_hours
    campaign.caller_id = caller_id
    campaign.trunk = trunk
    campaign.ring_timeout_s = data.ring_timeout_s
    campaign.max_lines = data.max_lines
    campaign.max_attempts = data.max_attempts
    campaign.wrap_up_s = data.wrap_up_s
    campaign.record_calls = data.record_calls
    campaign.amd_enabled = data.amd_enabled
    campaign.amd_action = data.amd_action
    campaign.amd_false_positive_rate = (
        _decimal(data.amd_false_positive_pct or "0", "AMD false positives %", Decimal(0), Decimal(100)) / 100
    )
    campaign.abandon_message_text = data.abandon_message_text
    campaign.script = data.script
    campaign.schedule = data.schedule.as_json() if data.schedule else {}
    campaign.teams = (
        list(session.scalars(select(Team).where(Team.id.in_(data.team_ids)))) if data.team_ids else []
    )
    _set_retries(campaign, retries)
    _set_dispositions(campaign, dispositions)
    session.flush()
    # Checked lists move to this campaign; lists of this campaign left unchecked are detached.
    affected = or_(LeadList.id.in_(data.list_ids), LeadList.campaign_id == campaign.id)
    # A list still being imported keeps the campaign it was uploaded for; a bought batch's lists move
    # only by its sample test and hand-outs (``web.leaddata``), never past its test by this form.
    movable = and_(~LeadList.importing, LeadList.purchase_id.is_(None))
    for lead_list in session.scalars(select(LeadList).where(affected, movable)):
        wanted = campaign.id if lead_list.id in data.list_ids else None
        if lead_list.campaign_id != wanted:
            assign_list(session, lead_list, wanted)
    return campaign


def _compliance(campaign: Campaign | None, data: CampaignInput) -> ComplianceSettings:
    """The form's compliance settings, each defaulting to the profile's and never looser than it."""
    rules = rules_for(data.compliance_profile)
    defaults = profile_defaults(data.compliance_profile)
    cap = (_decimal(data.abandon_cap_pct, "abandon cap %", Decimal(0), Decimal(100)) / 100
           if data.abandon_cap_pct.strip() else defaults.abandon_cap)
    no_recall = defaults.abandon_no_recall_s if data.abandon_no_recall_s is None else data.abandon_no_recall_s
    window = defaults.abandon_window_s if data.abandon_window_s is None else data.abandon_window_s
    try:
        hours = checks.hours(parse_hours(data.calling_hours), rules) if data.calling_hours.strip() else None
    except ValueError as exc:  # the core's reading of the table (e.g. an empty window)
        raise FormError(str(exc)) from None
    has_message = bool(data.abandon_message_text.strip() or data.abandon_message_uploaded
                       or (campaign is not None and campaign.abandon_message_file))
    checks.abandon_message(data.mode, has_message, rules)
    return ComplianceSettings(checks.abandon_cap(cap, rules),
                       checks.ABANDON_WINDOW.check(window),
                       checks.no_recall(no_recall, rules), hours or defaults.calling_hours)


def _set_retries(campaign: Campaign, specs: list[RetrySpec]) -> None:
    by_outcome = {r.outcome: r for r in campaign.retry_rules}
    keep = []
    for spec in specs:
        rule = by_outcome.get(spec.outcome) or RetryRule(outcome=spec.outcome, delay_s=0)
        rule.delay_s, rule.max_attempts = spec.delay_s, spec.max_attempts
        keep.append(rule)
    campaign.retry_rules = keep


def _set_dispositions(campaign: Campaign, specs: list[DispositionSpec]) -> None:
    """Dispositions already used by attempts must survive: unlisted ones are deactivated, not deleted."""
    by_code = {d.code: d for d in campaign.dispositions}
    for order, spec in enumerate(specs):
        disp = by_code.pop(spec.code, None)
        if disp is None:
            disp = Disposition(code=spec.code, label=spec.label)
            campaign.dispositions.append(disp)
        disp.label, disp.is_sale, disp.asks_amount = spec.label, spec.is_sale, spec.asks_amount
        disp.schedules_callback, disp.is_final = spec.schedules_callback, spec.is_final
        disp.sms_template = spec.sms_template
        disp.sort_order, disp.active = order, True
    for leftover in by_code.values():
        leftover.active = False


def set_state(session: Session, campaign: Campaign, state: CampaignState) -> bool:
    """Write the desired state; False if it already was (no audit noise)."""
    if campaign.desired_state is state:
        return False
    campaign.desired_state = state
    campaign.state_changed_at = utcnow()
    campaign.paused_reason = ""  # a runner's reason for pausing no longer holds once someone decides
    return True
