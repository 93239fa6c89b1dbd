"""A campaign's progress and, when it is not dialing, why: read from what the runners already write.

Nothing here asks a runner: the leads table says what is left and what is due,
the attempts what was dialed and with what result, the agents who is ready,
``pacing_notes`` why the dialer holds back (a runner refreshes its note at
least every ``EXPLAIN_EVERY_S`` while it paces the campaign), and the newest of
those rows when a runner last showed it was working on the campaign.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from orchestrator.dialer.dialing import EXPLAIN_EVERY_S
from orchestrator.leads.hours import CallingHours, HoursError
from orchestrator.pacing.base import PacingReason
from store.enums import DIALABLE_LEAD_STATUSES, AgentState, CampaignMode, CampaignState, LeadStatus, Outcome
from store.inbound import inbound_attempt
from store.leads import status_in
from store.models import AgentStateLog, Attempt, AuditLog, Campaign, Disposition, Lead, LeadList, PacingNote
from web.messages import N_

#: A running campaign with work to do and no runner row this long is reported as "runner down".
QUIET_AFTER = timedelta(seconds=3 * EXPLAIN_EVERY_S)
#: Outcomes that say the node never placed the call: not a dial of the lead.
NOT_DIALED = (Outcome.REFUSED,)
#: Pacing reasons that mean the abandon cap is holding the dialer back.
BRAKES = {PacingReason.CAP_BRAKE.value, PacingReason.AMD_UNREACHABLE.value}


@dataclass(frozen=True)
class Check:
    """One answer to "why isn't it dialing": ``blocking`` checks stop (or slow) the dialer.

    ``message`` is an English msgid with named placeholders filled from ``params`` (numbers, UTC
    datetimes, a runner's own note); ``text`` is it filled in English, times in UTC."""

    name: str
    blocking: bool
    message: str
    params: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message % {k: f"{v:%Y-%m-%d %H:%M} UTC" if isinstance(v, datetime) else v
                               for k, v in self.params.items()}


@dataclass
class Progress:
    total: int = 0
    dialed: int = 0  # leads dialed at least once
    due_now: int = 0
    callbacks: int = 0  # promised by an agent, not yet made
    remaining: int = 0  # leads still to call (new, pending, callback, being dialed)
    by_status: dict[str, int] = field(default_factory=dict)
    done_by_outcome: dict[str, int] = field(default_factory=dict)  # finished leads, by their last outcome
    dials: int = 0  # attempts, all time
    contacts: int = 0  # attempts that reached an agent
    sales: int = 0  # contacts with a sale disposition
    dials_today: int = 0
    pace_per_hour: float = 0.0  # today's dials per hour since the first
    hours_left: float | None = None  # at today's pace; None: no dial today
    checks: list[Check] = field(default_factory=list)
    last_change: AuditLog | None = None  # who last started, paused or stopped it

    @property
    def contact_rate(self) -> float:
        return self.contacts / self.dials if self.dials else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.sales / self.contacts if self.contacts else 0.0

    @property
    def dialing(self) -> bool:
        return not any(c.blocking for c in self.checks)


def _due(campaign: Campaign, now: datetime) -> list[ColumnElement[bool]]:
    """The dialer's claim conditions (``store.leads``), without the limit and the row locks: an agent's
    own callbacks are theirs to dial (preview), counted apart."""
    active_lists = select(LeadList.id).where(LeadList.campaign_id == campaign.id, LeadList.active)
    return [Lead.campaign_id == campaign.id, Lead.next_call_at <= now,
            or_(Lead.no_recall_until.is_(None), Lead.no_recall_until <= now),
            Lead.list_id.in_(active_lists), status_in(DIALABLE_LEAD_STATUSES),
            Lead.callback_agent_id.is_(None)]


def progress(session: Session, campaign: Campaign, now: datetime) -> Progress:
    p = Progress()
    status_counts = dict(session.execute(
        select(Lead.status, func.count()).where(Lead.campaign_id == campaign.id).group_by(Lead.status)
    ).tuples().all())
    p.by_status = {s.value: status_counts.get(s, 0) for s in LeadStatus}
    p.total = sum(p.by_status.values())
    p.callbacks = p.by_status[LeadStatus.CALLBACK.value]
    p.remaining = sum(p.by_status[s.value] for s in (*DIALABLE_LEAD_STATUSES, LeadStatus.DIALING))
    p.dialed = session.scalar(
        select(func.count()).where(Lead.campaign_id == campaign.id, Lead.attempts > 0)) or 0
    p.done_by_outcome = {
        (outcome.value if outcome else "none"): n
        for outcome, n in session.execute(
            select(Lead.last_outcome, func.count())
            .where(Lead.campaign_id == campaign.id,
                   status_in([LeadStatus.DONE, LeadStatus.INVALID, LeadStatus.DNC]))
            .group_by(Lead.last_outcome).order_by(func.count().desc())
        ).tuples()
    }
    due_conditions = _due(campaign, now)
    p.due_now = session.scalar(select(func.count()).where(*due_conditions)) or 0

    charged = (Attempt.campaign_id == campaign.id, ~inbound_attempt(),
               or_(Attempt.outcome.is_(None), Attempt.outcome.not_in(NOT_DIALED)))
    p.dials, p.contacts, p.sales = session.execute(
        select(func.count(), func.count(Attempt.bridged_at), func.count(Disposition.id))
        .select_from(Attempt)
        .outerjoin(Disposition, (Disposition.id == Attempt.disposition_id) & Disposition.is_sale)
        .where(*charged)
    ).one()
    day_start = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    p.dials_today, first_today = session.execute(
        select(func.count(), func.min(Attempt.created_at)).where(*charged, Attempt.created_at >= day_start)
    ).one()
    if p.dials_today and first_today is not None:
        hours = max((now - first_today).total_seconds() / 3600, 1 / 60)  # at least a minute of dialing
        p.pace_per_hour = p.dials_today / hours
        p.hours_left = p.remaining / p.pace_per_hour
    p.last_change = session.scalar(
        select(AuditLog).where(AuditLog.target_type == "campaign", AuditLog.target_id == str(campaign.id),
                               AuditLog.action.in_([f"campaign.{s.value}" for s in CampaignState]))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(1)
    )
    p.checks = why_not_dialing(session, campaign, now, p, due_conditions)
    return p


def campaign_hours(campaign: Campaign) -> CallingHours:
    """The hours the runner gives the dialer (``runner.campaign_config``): the stored table, which the
    form keeps inside the compliance profile's; ``{}``: any time."""
    try:
        return CallingHours.from_table(campaign.calling_hours or {})
    except HoursError:
        return CallingHours()  # not saved by the form (which checks it): the core's default hours


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def why_not_dialing(session: Session, campaign: Campaign, now: datetime, p: Progress,
                    due_conditions: list[ColumnElement[bool]]) -> list[Check]:
    """Each reason a campaign can stand still, answered from the tables (most basic first)."""
    notes = session.execute(select(PacingNote.at, PacingNote.reasons, PacingNote.text)
                            .where(PacingNote.campaign_id == campaign.id)).tuples().all()
    agents, ready = _agents_check(session, campaign)
    checks = [_state_check(campaign, p), agents, _leads_check(session, campaign, p)]
    if p.due_now:
        checks.append(_hours_check(session, campaign, now, p, due_conditions))
    cap = _cap_check(campaign, notes)
    if cap is not None:
        checks.append(cap)
    if campaign.desired_state is CampaignState.RUNNING and p.due_now and ready:
        checks.append(_runner_check(session, campaign, now, [at for at, _, _ in notes]))
    return checks


def _state_check(campaign: Campaign, p: Progress) -> Check:
    state = campaign.desired_state
    if state is CampaignState.RUNNING:
        return Check("state", False, N_("running"))
    paused = state is CampaignState.PAUSED
    params: dict[str, object] = {"reason": campaign.paused_reason} if campaign.paused_reason else {}
    if p.last_change:
        params.update(actor=p.last_change.actor, at=p.last_change.at)
        if campaign.paused_reason:
            message = (N_("paused by %(actor)s at %(at)s (%(reason)s)") if paused
                       else N_("stopped by %(actor)s at %(at)s (%(reason)s)"))
        else:
            message = N_("paused by %(actor)s at %(at)s") if paused else N_("stopped by %(actor)s at %(at)s")
    elif campaign.paused_reason:
        message = N_("paused (%(reason)s)") if paused else N_("stopped (%(reason)s)")
    else:
        message = N_("paused") if paused else N_("stopped")
    return Check("state", True, message, params)


def agents_on(session: Session, campaign_ids: Sequence[int]) -> dict[int, Counter[AgentState]]:
    """campaign -> its logged-in agents by state: those whose current state (the open row of the
    agent state log, written by the runner with the campaign it happened in) is on that campaign.
    Not the agents of the campaign's teams: they may be logged into another campaign, or out."""
    out: dict[int, Counter[AgentState]] = {c: Counter() for c in campaign_ids}
    for campaign_id, state in session.execute(
        select(AgentStateLog.campaign_id, AgentStateLog.state)
        .where(AgentStateLog.ended_at.is_(None), AgentStateLog.campaign_id.in_(list(campaign_ids)))
    ).tuples():
        if campaign_id is not None:
            out[campaign_id][state] += 1
    return out


def campaigns_of(session: Session, agent_ids: Sequence[int] | None = None) -> dict[int, int]:
    """agent -> the campaign they are on now (the open row of the state log, as in ``agents_on``), for
    ``agent_ids`` or every agent; agents on none (logged out, a hotline seat) are left out."""
    query = select(AgentStateLog.agent_id, AgentStateLog.campaign_id).where(
        AgentStateLog.ended_at.is_(None), AgentStateLog.campaign_id.is_not(None))
    if agent_ids is not None:
        query = query.where(AgentStateLog.agent_id.in_(list(agent_ids)))
    return {agent: campaign for agent, campaign in session.execute(query).tuples() if campaign is not None}


def _agents_check(session: Session, campaign: Campaign) -> tuple[Check, bool]:
    """The agents on the campaign (``agents_on``); also whether the dialer has someone to dial for."""
    agents = agents_on(session, [campaign.id])[campaign.id]
    ready = agents[AgentState.READY]
    logged_in = sum(n for s, n in agents.items() if s is not AgentState.LOGGED_OUT)
    if campaign.mode is CampaignMode.PREVIEW:
        return Check("agents", logged_in == 0,
                     N_("%(logged_in)s logged in (preview: each agent asks for a lead)"),
                     {"logged_in": logged_in}), logged_in > 0
    if ready:
        return Check("agents", False, N_("%(ready)s ready of %(logged_in)s logged in"),
                     {"ready": ready, "logged_in": logged_in}), True
    paused = agents[AgentState.PAUSED]
    return Check("agents", True, N_("no agent ready (%(logged_in)s logged in, %(paused)s paused)"),
                 {"logged_in": logged_in, "paused": paused}), False


def _leads_check(session: Session, campaign: Campaign, p: Progress) -> Check:
    if p.due_now:
        return Check("leads", False, N_("%(due)s due now"), {"due": p.due_now})
    next_due = session.scalar(select(func.min(Lead.next_call_at)).where(
        Lead.campaign_id == campaign.id, status_in(DIALABLE_LEAD_STATUSES)))
    lists = session.scalar(select(func.count()).where(LeadList.campaign_id == campaign.id, LeadList.active))
    if not lists:
        return Check("leads", True, N_("no leads due: the campaign has no active lead list"))
    if next_due is None:
        return Check("leads", True, N_("no leads due: every lead is finished"))
    return Check("leads", True, N_("no leads due: the next is due at %(at)s"), {"at": next_due})


def _hours_check(session: Session, campaign: Campaign, now: datetime, p: Progress,
                 due_conditions: list[ColumnElement[bool]]) -> Check:
    """Due leads whose local time is inside the campaign's hours (a lead without a zone counts as UTC)."""
    hours = campaign_hours(campaign)
    zones = session.execute(select(Lead.timezone, func.count()).where(*due_conditions)
                            .group_by(Lead.timezone)).tuples().all()
    callable_now = sum(n for zone, n in zones if hours.allows(now.astimezone(_zone(zone))))
    if callable_now:
        return Check("hours", False, N_("%(callable)s of the due leads are inside calling hours"),
                     {"callable": callable_now})
    return Check("hours", True,
                 N_("outside calling hours: none of the %(due)s due leads may be called at this local time"),
                 {"due": p.due_now})


def _cap_check(campaign: Campaign, notes: Sequence[tuple[datetime, str, str]]) -> Check | None:
    brakes = [text for _, reasons, text in notes if BRAKES & set(reasons.split(","))]
    if brakes:
        codes = sorted({code for _, reasons, _ in notes for code in reasons.split(",") if code in BRAKES})
        return Check("cap", True, N_("abandon cap brake: %(notes)s"),
                     {"notes": " | ".join(brakes), "codes": codes})
    if campaign.mode is CampaignMode.PREDICTIVE:
        return Check("cap", False, N_("no abandon cap brake"))
    return None


def _runner_check(session: Session, campaign: Campaign, now: datetime, note_times: list[datetime]) -> Check:
    """Asked only when the dialer should be dialing: a quiet campaign then means no runner works it."""
    last_attempt = session.scalar(select(func.max(func.coalesce(Attempt.ended_at, Attempt.created_at)))
                                  .where(Attempt.campaign_id == campaign.id))
    seen = max((t for t in [last_attempt, *note_times] if t is not None), default=None)
    if seen is None:
        return Check("runner", True, N_("runner down: no runner has dialed this campaign yet"))
    if now - seen > QUIET_AFTER:
        return Check("runner", True,
                     N_("runner down: no runner has reported on this campaign since %(at)s"), {"at": seen})
    return Check("runner", False, N_("a runner reported at %(at)s"), {"at": seen})
