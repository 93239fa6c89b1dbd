"""What an agent can do, as plain functions over a session (the views only translate HTTP).

Agent state lives in two places on purpose: ``agents.state`` for the runner
and the wallboard (one row to read), ``agent_state_log`` for reports (one
interval per state). ``change_state`` keeps both in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.store.enums import AgentState, CampaignMode, CampaignState, LeadStatus
from orchestrator.store.leads import claim_leads
from orchestrator.store.models import (
    Agent,
    AgentStateLog,
    Attempt,
    Campaign,
    Command,
    Disposition,
    Lead,
    Seat,
)
from orchestrator.store.types import utcnow

PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin", "technical")
PREVIEW_CLAIMER = "preview:agent:{}"


class AgentError(ValueError):
    pass


def change_state(
    session: Session,
    agent: Agent,
    state: AgentState,
    reason: str = "",
    now: datetime | None = None,
    campaign_id: int | None = None,
) -> None:
    now = now or utcnow()
    for open_row in session.scalars(
        select(AgentStateLog).where(AgentStateLog.agent_id == agent.id, AgentStateLog.ended_at.is_(None))
    ):
        open_row.ended_at = now
    if state is not AgentState.LOGGED_OUT:
        session.add(
            AgentStateLog(
                agent_id=agent.id, state=state, reason=reason, started_at=now, campaign_id=campaign_id
            )
        )
    agent.state, agent.state_since = state, now


def free_seats(session: Session, agent: Agent) -> list[Seat]:
    """Enabled seats nobody is logged into, the agent's team's first."""
    taken = select(Agent.seat_id).where(
        Agent.seat_id.is_not(None), Agent.state != AgentState.LOGGED_OUT, Agent.id != agent.id
    )
    seats = session.scalars(
        select(Seat).where(Seat.enabled, Seat.id.not_in(taken)).order_by(Seat.extension)
    ).all()
    return sorted(seats, key=lambda s: (s.team_id != agent.team_id, s.extension))


def log_in(session: Session, agent: Agent, seat_id: int) -> None:
    if seat_id not in {s.id for s in free_seats(session, agent)}:
        raise AgentError("that seat is disabled or taken")
    agent.seat_id = seat_id
    change_state(session, agent, AgentState.PAUSED, "login")


def log_out(session: Session, agent: Agent) -> None:
    if agent.state in (AgentState.ON_CALL, AgentState.RESERVED):
        raise AgentError("finish the call first")
    change_state(session, agent, AgentState.LOGGED_OUT)
    agent.seat_id = None


def set_ready(session: Session, agent: Agent) -> None:
    if agent.state is AgentState.LOGGED_OUT:
        raise AgentError("log into a seat first")
    if agent.state in (AgentState.ON_CALL, AgentState.RESERVED):
        raise AgentError("you are on a call")
    change_state(session, agent, AgentState.READY)


def pause(session: Session, agent: Agent, reason: str) -> None:
    if reason not in PAUSE_REASONS:
        raise AgentError("choose a pause reason")
    if agent.state in (AgentState.LOGGED_OUT, AgentState.ON_CALL, AgentState.RESERVED):
        raise AgentError(f"cannot pause while {agent.state.value.replace('_', ' ')}")
    change_state(session, agent, AgentState.PAUSED, reason)


def current_attempt(session: Session, agent: Agent) -> Attempt | None:
    """The call on the agent's screen: connected now, else the last one still waiting for a disposition."""
    live = session.scalars(
        select(Attempt)
        .where(Attempt.agent_id == agent.id, Attempt.ended_at.is_(None))
        .order_by(Attempt.created_at.desc())
        .limit(1)
    ).first()
    if live is not None:
        return live
    return session.scalars(
        select(Attempt)
        .where(
            Attempt.agent_id == agent.id, Attempt.bridged_at.is_not(None), Attempt.disposition_id.is_(None)
        )
        .order_by(Attempt.created_at.desc())
        .limit(1)
    ).first()


def preview_campaigns(session: Session, agent: Agent) -> list[Campaign]:
    query = (
        select(Campaign)
        .where(Campaign.mode == CampaignMode.PREVIEW, Campaign.desired_state == CampaignState.RUNNING)
        .order_by(Campaign.name)
    )
    return [c for c in session.scalars(query) if not c.teams or agent.team_id in {t.id for t in c.teams}]


def preview_lead(session: Session, agent: Agent) -> Lead | None:
    """The lead this agent holds for preview (claimed, not dialed yet)."""
    return session.scalars(
        select(Lead).where(
            Lead.status == LeadStatus.DIALING, Lead.claimed_by == PREVIEW_CLAIMER.format(agent.id)
        )
    ).first()


def next_preview(session: Session, agent: Agent, campaign: Campaign) -> Lead | None:
    """Claim one lead for the agent to look at: its own callbacks first, then the pool."""
    if preview_lead(session, agent) is not None:
        raise AgentError("dial or skip the lead you hold first")
    now = utcnow()
    claimer = PREVIEW_CLAIMER.format(agent.id)
    leads = claim_leads(session, campaign.id, 1, now, claimed_by=claimer, agent_id=agent.id) or claim_leads(
        session, campaign.id, 1, now, claimed_by=claimer
    )
    return leads[0] if leads else None


def skip_preview(session: Session, agent: Agent) -> None:
    lead = preview_lead(session, agent)
    if lead is not None:
        lead.status = LeadStatus.PENDING if lead.attempts else LeadStatus.NEW
        lead.claimed_by = lead.claimed_at = None


def dial_preview(session: Session, agent: Agent, user_id: int) -> Command:
    """Ask the seat's runner to call the held lead for this agent (the runner writes the attempt)."""
    lead = preview_lead(session, agent)
    if lead is None:
        raise AgentError("no lead to dial")
    if agent.seat is None or agent.state is AgentState.LOGGED_OUT:
        raise AgentError("log into a seat first")
    command = Command(
        kind="preview_dial",
        node_id=agent.seat.node_id,
        campaign_id=lead.campaign_id,
        agent_id=agent.id,
        lead_id=lead.id,
        created_by_id=user_id,
        payload={"phone": lead.phone, "seat": agent.seat.extension},
    )
    session.add(command)
    change_state(session, agent, AgentState.RESERVED, "preview", campaign_id=lead.campaign_id)
    return command


@dataclass(frozen=True)
class DispositionInput:
    attempt_id: str
    disposition_id: int
    amount: str = ""
    notes: str = ""
    callback_at: datetime | None = None
    callback_mine: bool = True


def dispose(session: Session, agent: Agent, data: DispositionInput) -> Attempt:
    """Record the outcome the agent chose; callbacks reschedule the lead, final ones close it."""
    attempt = session.scalars(
        select(Attempt).where(Attempt.agent_id == agent.id).where(Attempt.id == _uuid(data.attempt_id))
    ).first()
    if attempt is None:
        raise AgentError("that call is not yours")
    disposition = session.get(Disposition, data.disposition_id)
    if disposition is None or disposition.campaign_id != attempt.campaign_id or not disposition.active:
        raise AgentError("choose one of the campaign's dispositions")
    amount = None
    if disposition.asks_amount and data.amount.strip():
        try:
            amount = Decimal(data.amount.strip())
        except InvalidOperation:
            raise AgentError("amount must be a number") from None
    attempt.disposition_id, attempt.sale_amount, attempt.notes = disposition.id, amount, data.notes[:2000]
    lead = attempt.lead
    lead.disposition_id = disposition.id
    if disposition.schedules_callback:
        if data.callback_at is None or data.callback_at <= utcnow():
            raise AgentError("a callback needs a time in the future")
        lead.status, lead.next_call_at = LeadStatus.CALLBACK, data.callback_at
        lead.callback_agent_id = agent.id if data.callback_mine else None
    elif disposition.is_final:
        lead.status = LeadStatus.DONE
    if agent.state is AgentState.WRAP_UP:
        change_state(session, agent, AgentState.READY)
    return attempt


def _uuid(raw: str):
    import uuid

    try:
        return uuid.UUID(raw)
    except ValueError:
        raise AgentError("bad call id") from None
