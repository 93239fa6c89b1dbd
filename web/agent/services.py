"""What an agent can do, as plain functions over a session (the views only translate HTTP).

The web never changes an agent's state itself: it writes desk requests
(``DeskRequest`` rows of a ``DeskCommand`` kind) that the runner owning the
seat's PBX node carries out, and the runner writes ``agents.state`` and the
state log back. The panel shows what the runner reports, plus the requests
still waiting. Two things stay with the web: choosing the seat (``agents.seat_id``)
and holding a preview lead (the web claims it for the agent), and the
disposition's order lines and notes, which only the agent's form knows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orchestrator.dialer.agents import CONNECTING, NO_PHONE
from store import desk_queue
from store import messaging as sms
from store.enums import (
    OUTBOUND_MODES,
    AgentState,
    CallDirection,
    CampaignMode,
    CampaignState,
    DeskCommand,
    DeskRequestStatus,
    LeadStatus,
)
from store.inbound import agent_queues
from store.leads import PREVIEW_CLAIMER, claim_leads, release_claims
from store.models import Agent, Attempt, Call, CallTransfer, Campaign, DeskRequest, Disposition, Lead, Seat
from store.types import utcnow
from web.agent import transfer
from web.campaigns.progress import campaigns_of
from web.messages import N_, Code, Message
from web.sales.orders import LineInput, OrderError, check_lines, take_orders

PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin", "technical")
BUSY = (AgentState.ON_CALL, AgentState.RESERVED)
RECENT = timedelta(minutes=15)


class AgentError(ValueError):
    pass


#: The login form's "campaign" of a hotline seat: the inbound queues only, no campaign.
HOTLINE_ONLY = 0


def _send(
    session: Session, agent: Agent, kind: DeskCommand, user_id: int | None, node_id: int | None = None,
    **fields: Any,
) -> DeskRequest:
    """Queue a desk request for the runner of the agent's seat (or of ``node_id``)."""
    if node_id is None:
        if agent.seat is None:
            raise AgentError("log into a seat first")
        node_id = agent.seat.node_id
    command = DeskRequest(kind=kind, node_id=node_id, agent_id=agent.id, created_by_id=user_id, **fields)
    return desk_queue.enqueue(session, command)


def campaigns_for(session: Session, agent: Agent, mode: CampaignMode | None = None) -> list[Campaign]:
    """Running campaigns the agent's team works on (a campaign without teams is open to all)."""
    query = select(Campaign).where(Campaign.desired_state == CampaignState.RUNNING).order_by(Campaign.name)
    if mode is not None:
        query = query.where(Campaign.mode == mode)
    return [c for c in session.scalars(query) if not c.teams or agent.team_id in {t.id for t in c.teams}]


def free_seats(session: Session, agent: Agent) -> list[Seat]:
    """Enabled seats nobody is logged into (or logging into: a login the runner has not done yet), the
    agent's team's first."""
    logging_in = select(DeskRequest.agent_id).where(
        DeskRequest.kind == DeskCommand.AGENT_LOGIN,
        DeskRequest.status.in_((DeskRequestStatus.PENDING, DeskRequestStatus.TAKEN)),
    )
    taken = select(Agent.seat_id).where(
        Agent.seat_id.is_not(None),
        Agent.id != agent.id,
        or_(Agent.state != AgentState.LOGGED_OUT, Agent.id.in_(logging_in)),
    )
    seats = session.scalars(
        select(Seat).where(Seat.enabled, Seat.id.not_in(taken)).order_by(Seat.extension)
    ).all()
    return sorted(seats, key=lambda s: (s.team_id != agent.team_id, s.extension))


def log_in(session: Session, agent: Agent, seat_id: int, campaign_id: int, user_id: int) -> DeskRequest:
    if agent.state is not AgentState.LOGGED_OUT:
        raise AgentError("you are logged in already")
    seat = next((s for s in free_seats(session, agent) if s.id == seat_id), None)
    if seat is None:
        raise AgentError("that seat is disabled or taken")
    if campaign_id == HOTLINE_ONLY:
        if not agent_queues(session, seat.node_id, agent.id)[0]:  # what the seat's runner will check
            raise AgentError("you are no hotline seat of an inbound route: pick a campaign")
    elif campaign_id not in {c.id for c in campaigns_for(session, agent)}:
        raise AgentError("that campaign is not running for your team")
    agent.seat = seat
    return _send(session, agent, DeskCommand.AGENT_LOGIN, user_id, campaign_id=campaign_id or None)


def log_out(session: Session, agent: Agent, user_id: int) -> DeskRequest:
    if agent.state in BUSY:
        raise AgentError("finish the call first")
    return _send(session, agent, DeskCommand.AGENT_LOGOUT, user_id)


def set_ready(session: Session, agent: Agent, user_id: int) -> DeskRequest:
    if agent.state is AgentState.LOGGED_OUT:
        raise AgentError("log into a seat first")
    if agent.state in BUSY:
        raise AgentError("you are on a call")
    return _send(session, agent, DeskCommand.AGENT_STATE, user_id, payload={"state": AgentState.READY.value})


def end_call(session: Session, agent: Agent, user_id: int) -> DeskRequest:
    """The agent ends their call; the runner sends the customer to the survey or hangs them up."""
    if agent.state is not AgentState.ON_CALL:
        raise AgentError("you are not on a call")
    return _send(session, agent, DeskCommand.END_CALL, user_id)


def pause(session: Session, agent: Agent, reason: str, user_id: int) -> DeskRequest:
    if reason not in PAUSE_REASONS:
        raise AgentError("choose a pause reason")
    if agent.state is AgentState.LOGGED_OUT or agent.state in BUSY:
        raise AgentError(f"cannot pause while {agent.state.value.replace('_', ' ')}")
    return _send(session, agent, DeskCommand.AGENT_STATE, user_id,
                 payload={"state": AgentState.PAUSED.value, "reason": reason})


LOG_OUT = "log out"  # a departure that ends the shift rather than pausing


def announce_leaving(session: Session, agent: Agent, reason: str, at: str, user_id: int) -> DeskRequest:
    """Tell the dialer the agent leaves (a pause ``reason`` or log-out) at ``at`` (HH:MM, local time,
    today) or, empty, after this call: the pacer stops dialing for them before they go."""
    if reason != LOG_OUT and reason not in PAUSE_REASONS:
        raise AgentError("choose a pause reason")
    if agent.state is AgentState.LOGGED_OUT:
        raise AgentError("log into a seat first")
    when = None
    if at:
        try:
            clock = datetime.strptime(at, "%H:%M").time()
        except ValueError:
            raise AgentError("give the time as HH:MM") from None
        now = datetime.now().astimezone()
        leaving = datetime.combine(now.date(), clock, now.tzinfo)
        if leaving <= now:
            raise AgentError(f"{at} has passed")
        when = leaving.timestamp()
    state = AgentState.LOGGED_OUT if reason == LOG_OUT else AgentState.PAUSED
    return _send(session, agent, DeskCommand.AGENT_LEAVING, user_id,
                 payload={"at": when, "state": state.value, "reason": "" if reason == LOG_OUT else reason})


#: The pause reason of a supervisor's "pause" (``force``), shown on the wallboard and the agent's panel.
FORCED_PAUSE = "by supervisor"
FORCE_ACTIONS = ("pause", "log out")


def force(session: Session, agent: Agent, action: str, user_id: int) -> DeskRequest:
    """A supervisor pauses or logs ``agent`` out: at once when they are free, after the call in progress
    otherwise (a live call is never cut), as the agent's own "after this call" tells the dialer
    (AGENT_LEAVING: the pacer stops dialing for them first)."""
    if action not in FORCE_ACTIONS:
        raise AgentError("pause or log out")
    if agent.state is AgentState.LOGGED_OUT:
        raise AgentError(f"{agent.user.username} is not logged in")
    if action == "pause" and agent.state is AgentState.PAUSED:
        raise AgentError(f"{agent.user.username} is paused already")
    pausing = action == "pause"
    state = AgentState.PAUSED if pausing else AgentState.LOGGED_OUT
    return _send(session, agent, DeskCommand.AGENT_LEAVING, user_id,
                 payload={"at": None, "state": state.value, "reason": FORCED_PAUSE if pausing else ""})


def move(session: Session, agent: Agent, campaign_id: int | None, user_id: int) -> Campaign:
    """A supervisor moves ``agent`` to another running outbound campaign their team works on.

    The runner of their seat's node moves them as "after this call" does (AGENT_MOVE): the call in
    progress and its wrap-up stay with the old campaign, whose pacer counts them as leaving from
    the moment it is told; the new campaign takes them once they are free (at once if idle, when
    they end their pause if paused).
    """
    name = agent.user.username
    if agent.state is AgentState.LOGGED_OUT:
        raise AgentError(f"{name} is not logged in")
    campaign = next((c for c in campaigns_for(session, agent)
                     if c.id == campaign_id and c.mode in OUTBOUND_MODES), None)
    if campaign is None:
        raise AgentError(f"choose a running outbound campaign that {name}'s team works on")
    if campaigns_of(session, [agent.id]).get(agent.id) == campaign.id:
        raise AgentError(f"{name} is on {campaign.name} already")
    _send(session, agent, DeskCommand.AGENT_MOVE, user_id, campaign_id=campaign.id)
    return campaign


def when_free(agent: Agent) -> str:
    """When a supervisor's pause, log-out or move takes effect, in words."""
    return "after the call in progress" if agent.state in BUSY else "now"


def state_note(agent: Agent) -> Message:
    """What the agent should know about their state, in words (why the dialer sends no calls)."""
    seat = agent.seat.extension if agent.seat else None
    if agent.state is AgentState.PAUSED and agent.state_reason == NO_PHONE:
        if seat is None:
            return Message(N_("Your phone is not connected: the dialer cannot reach it. Check that it is "
                              "switched on and registered, then press Ready."))
        return Message(N_("Your phone (%(seat)s) is not connected: the dialer cannot reach it. Check that it "
                          "is switched on and registered, then press Ready."), {"seat": seat})
    if agent.state is AgentState.PAUSED and agent.state_reason == CONNECTING:
        if seat is None:
            return Message(N_("The dialer is calling your phone: answer it to start taking calls."))
        return Message(N_("The dialer is calling your phone (%(seat)s): answer it to start taking calls."),
                       {"seat": seat})
    if agent.state is AgentState.PAUSED:
        if agent.state_reason:
            return Message(N_("Paused (%(reason)s)."), {"reason": Code(agent.state_reason, "reason")})
        return Message(N_("Paused."))
    if agent.state is AgentState.READY:
        return Message(N_("Ready: the next customer is connected to your phone."))
    return Message("")


def pending(session: Session, agent: Agent, limit: int = 5) -> list[DeskRequest]:
    """The agent's recent desk requests still waiting for the runner, or refused by it."""
    since = utcnow() - RECENT
    return list(
        session.scalars(
            select(DeskRequest)
            .where(
                DeskRequest.agent_id == agent.id,
                DeskRequest.status != DeskRequestStatus.DONE,
                DeskRequest.created_at >= since,
            )
            .order_by(DeskRequest.id.desc())
            .limit(limit)
        )
    )


def my_callbacks(session: Session, agent: Agent, limit: int = 10) -> list[Lead]:
    """Callbacks this agent promised, soonest first (the runner dials them for this agent when due)."""
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.callback_agent_id == agent.id, Lead.status == LeadStatus.CALLBACK)
            .order_by(Lead.next_call_at)
            .limit(limit)
        )
    )


def current_attempt(session: Session, agent: Agent) -> Attempt | None:
    """The call on the agent's screen: connected now, else the last one still waiting for a disposition
    (theirs, or one they transferred whose part they have not classified: ``web.agent.transfer``)."""
    live = session.scalars(
        select(Attempt)
        .where(Attempt.agent_id == agent.id, Attempt.ended_at.is_(None), Attempt.bridged_at.is_not(None))
        .order_by(Attempt.created_at.desc())
        .limit(1)
    ).first()
    if live is not None:
        return live
    part = transfer.open_part(session, agent)
    if part is not None and part.attempt_id is not None:
        return session.get(Attempt, part.attempt_id)
    return session.scalars(
        select(Attempt)
        .where(
            Attempt.agent_id == agent.id, Attempt.bridged_at.is_not(None), Attempt.disposition_id.is_(None)
        )
        .order_by(Attempt.created_at.desc())
        .limit(1)
    ).first()


def preview_lead(session: Session, agent: Agent) -> Lead | None:
    """The lead this agent holds for preview (claimed, not dialed yet)."""
    return session.scalars(
        select(Lead).where(
            Lead.status == LeadStatus.DIALING, Lead.claimed_by == PREVIEW_CLAIMER.format(agent.id)
        )
    ).first()


def next_preview(session: Session, agent: Agent, campaign: Campaign) -> Lead | None:
    """Claim one lead for the agent to look at: its own due callbacks first, then the records handed
    out to it, then the pool (never another agent's records)."""
    if campaign not in campaigns_for(session, agent, CampaignMode.PREVIEW):
        raise AgentError("that campaign is not a running preview campaign of your team")
    if preview_lead(session, agent) is not None:
        raise AgentError("dial or skip the lead you hold first")
    now = utcnow()
    claimer = PREVIEW_CLAIMER.format(agent.id)
    for callbacks, owner in ((agent.id, None), (None, agent.id), (None, None)):
        leads = claim_leads(session, campaign.id, 1, now, claimed_by=claimer, agent_id=callbacks, owner=owner)
        if leads:
            return leads[0]
    return None


def skip_preview(session: Session, agent: Agent) -> None:
    lead = preview_lead(session, agent)
    if lead is not None:
        release_claims(session, [lead.id], utcnow())
        session.expire(lead)


def dial_preview(session: Session, agent: Agent, user_id: int) -> DeskRequest:
    """Ask the seat's runner to call the held lead for this agent (the runner writes the attempt)."""
    lead = preview_lead(session, agent)
    if lead is None:
        raise AgentError("no lead to dial")
    if agent.state is not AgentState.READY:
        raise AgentError("be ready to dial")
    return _send(session, agent, DeskCommand.PREVIEW_DIAL, user_id, campaign_id=lead.campaign_id,
                 lead_id=lead.id)


#: Furthest a callback may be promised (and the browser's UTC offset, in minutes, it may claim).
CALLBACK_HORIZON = timedelta(days=366)
MAX_TZ_OFFSET_MIN = 16 * 60


def browser_time(local_text: str, offset: int) -> datetime | None:
    """A callback's time as a form sends it: the browser's local wall time (``datetime-local``) and its
    offset from UTC (getTimezoneOffset, minutes); None when left empty."""
    if not local_text:
        return None
    try:
        local = datetime.fromisoformat(local_text)
    except ValueError:
        raise AgentError("the callback time is not a date and time") from None
    if abs(offset) > MAX_TZ_OFFSET_MIN:
        raise AgentError("your browser sent an impossible time zone offset")
    if local > datetime(2200, 1, 1):  # far enough to stay clear of the calendar's end
        raise AgentError("a callback more than a year ahead is not a callback")
    at = local.replace(tzinfo=UTC) + timedelta(minutes=offset)
    if at > utcnow() + CALLBACK_HORIZON:
        raise AgentError("a callback more than a year ahead is not a callback")
    return at


@dataclass(frozen=True)
class DispositionInput:
    attempt_id: str
    disposition_id: int
    lines: tuple[LineInput, ...] = ()
    notes: str = ""
    callback_at: datetime | None = None


@dataclass(frozen=True)
class Disposed:
    command: DeskRequest | None  # None: a transferred call's part (nothing for the runner but the "ready")
    label: str
    call_up: bool  # given during an outbound call: the dialer applies it when the call ends
    attempt: Attempt
    disposition: Disposition


def dispose(session: Session, agent: Agent, data: DispositionInput, user_id: int) -> Disposed:
    """Keep the order lines and notes of the call; the runner applies the outcome to the lead; queue the
    disposition's SMS, if it has one (the SMS sender checks do-not-call and quiet hours when it sends).

    Accepted during the call as well as after it: the dialer keeps it until the call ends.
    """
    try:
        attempt_id = uuid.UUID(data.attempt_id)
    except ValueError:
        raise AgentError("bad call id") from None
    attempt = session.get(Attempt, attempt_id)
    part = transfer.part_of(session, agent, attempt) if attempt is not None else None
    if attempt is None or (attempt.agent_id != agent.id and part is None):
        raise AgentError("that call is not yours")
    disposition = session.get(Disposition, data.disposition_id)
    if disposition is None or disposition.campaign_id != attempt.campaign_id or not disposition.active:
        raise AgentError("choose one of the campaign's dispositions")
    if part is not None and attempt.agent_id != agent.id:
        return _dispose_part(session, agent, part, attempt, disposition, data, user_id)
    callback = None
    if disposition.schedules_callback:
        if data.callback_at is None or data.callback_at <= utcnow():
            raise AgentError("a callback needs a time in the future")
        callback = data.callback_at.timestamp()
    try:
        specs = check_lines(session, data.lines)
        if specs and not disposition.asks_amount:
            raise OrderError(f"{disposition.label} takes no order: choose a sale outcome")
        take_orders(session, agent, attempt, specs if disposition.asks_amount else ())
    except OrderError as exc:
        raise AgentError(str(exc)) from None
    attempt.notes = data.notes[:2000]
    sms.queue_post_call(session, attempt, disposition)
    payload = {
        "attempt_id": str(attempt.id),
        "code": disposition.code,
        "final": disposition.is_final,
        "callback_at": callback,
    }
    command = _send(
        session,
        agent,
        DeskCommand.DISPOSITION,
        user_id,
        node_id=attempt.node_id or None,
        campaign_id=attempt.campaign_id,
        payload=payload,
    )
    # An inbound call's attempt has no dialer call to wait for: the runner applies its disposition at once.
    inbound = session.scalar(select(Call.id).where(Call.attempt_id == attempt.id,
                                                   Call.direction == CallDirection.INBOUND).limit(1))
    return Disposed(command, disposition.label, attempt.ended_at is None and inbound is None, attempt,
                    disposition)


def _dispose_part(session: Session, agent: Agent, part: CallTransfer, attempt: Attempt,
                  disposition: Disposition, data: DispositionInput, user_id: int) -> Disposed:
    """The first agent of a transferred call classifies their part (the call's is the new agent's)."""
    if data.callback_at is not None or disposition.schedules_callback:
        raise AgentError("a callback is promised by the agent who has the call now")
    try:
        transfer.dispose_part(session, agent, part, disposition, data.notes,
                              any(line.product_id for line in data.lines), user_id)
    except transfer.TransferError as exc:
        raise AgentError(str(exc)) from None
    return Disposed(None, f"{disposition.label} (your part of the call)", False, attempt, disposition)
