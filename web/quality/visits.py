"""The return visit of a complaint: a callback to the customer that its assignee places through the dialer.

The assignee books it from the ticket (a date and time, a running preview campaign of their team): the
customer becomes a callback lead of that agent in the campaign (in a list of their own there, "Return
visits (name)", which no pool claim takes), so at that time it is theirs in the panel like any
promised callback, and "Next lead" holds it for preview (``web.agent.services.next_preview``: an
agent's due callbacks first). Booking it again moves the same lead. When they dispose of the call, the
ticket takes its "return visit done" step with the call linked (:func:`record_visit`), unless the
disposition promises another callback: then the visit is still to be made, at the new time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.leads.model import LeadUpdate
from orchestrator.quality import tickets as path
from store.enums import CampaignMode, LeadStatus, TicketEventKind
from store.leads import apply_update
from store.models import Agent, Attempt, Call, Campaign, Disposition, Lead, LeadList, Ticket, TicketEvent
from web.agent.services import campaigns_for
from web.auth import audit
from web.leads.importer import normalise
from web.quality.complaints import TicketError, take_step

#: The region a customer's number without a country code is read in (as a list's import defaults).
REGION = "US"


def visit_campaigns(session: Session, agent_id: int | None) -> list[Campaign]:
    """Where the assignee can place a return visit: the running preview campaigns of their team."""
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    return campaigns_for(session, agent, CampaignMode.PREVIEW) if agent is not None else []


def _agent_list(session: Session, campaign: Campaign, agent: Agent) -> LeadList:
    """The agent's own list of return visits in the campaign (owned: only their claims take it)."""
    name = f"Return visits ({agent.user.username})"[:128]
    found = session.scalars(select(LeadList).where(
        LeadList.campaign_id == campaign.id, LeadList.agent_id == agent.id, LeadList.name == name)).first()
    if found is None:
        found = LeadList(name=name, campaign_id=campaign.id, agent_id=agent.id, team_id=agent.team_id,
                         source="complaint return visits")
        session.add(found)
        session.flush()
    found.active = True
    return found


def schedule_visit(session: Session, ticket: Ticket, user_id: int, agent_id: int | None,
                   campaign_id: int | None, at: datetime, now: datetime) -> Lead:
    """Book the return visit of ``ticket`` at ``at`` for its assignee (``user_id``, an agent)."""
    if path.next_state(ticket.state) is not path.State.RETURN_VISITED:
        raise TicketError("the return visit follows the follow-up: "
                          f"this complaint is {path.LABEL[ticket.state]}")
    if ticket.assignee_id != user_id:
        raise TicketError("only the person the complaint is assigned to places its return visit")
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    if agent is None:
        raise TicketError("a return visit is placed from the agent panel: you have no agent profile")
    campaign = next((c for c in visit_campaigns(session, agent.id) if c.id == campaign_id), None)
    if campaign is None:
        raise TicketError("choose a running preview campaign of your team")
    if at <= now:
        raise TicketError("a return visit needs a time in the future")
    number = normalise(ticket.phone, REGION)
    if isinstance(number, str):
        raise TicketError(f"the customer's number {ticket.phone!r} cannot be dialed: {number}")
    lead_list = _agent_list(session, campaign, agent)
    lead = session.scalars(select(Lead).where(Lead.list_id == lead_list.id,
                                              Lead.phone == number.phone)).first()
    if lead is None:
        lead = Lead(list=lead_list, campaign_id=campaign.id, phone=number.phone, timezone=number.timezone,
                    fields={"complaint": f"{ticket.id}: {ticket.subject}"}, status=LeadStatus.CALLBACK,
                    callback_agent_id=agent.id, next_call_at=at)
        session.add(lead)
        session.flush()
    elif lead.status is LeadStatus.DIALING:
        raise TicketError("this customer is being called from your return visits now: "
                          "try again after the call")
    else:
        apply_update(session, LeadUpdate(lead.id, LeadStatus.CALLBACK, lead.attempts, at.timestamp(),
                                         callback_agent_id=agent.id, reason="return visit"), now.timestamp())
    ticket.visit_lead_id = lead.id
    note = f"return visit at {at:%Y-%m-%d %H:%M} UTC in {campaign.name}"
    ticket.events.append(TicketEvent(kind=TicketEventKind.VISIT_SCHEDULED, state=ticket.state,
                                     by_id=user_id, at=now, note=note))
    audit.record(session, "ticket.visit_scheduled", "ticket", ticket.id, at=at.isoformat(),
                 campaign=campaign.id, lead=lead.id)
    return lead


def record_visit(session: Session, attempt: Attempt, disposition: Disposition, agent: Agent, notes: str,
                 now: datetime) -> list[int]:
    """The agent disposed of a call to a return visit's lead: the complaints it visited (assigned to
    them, waiting for their return visit) are "return visit done", the call linked. A disposition that
    books another callback leaves them waiting. Returns the tickets' ids."""
    if disposition.schedules_callback:
        return []
    waiting = session.scalars(select(Ticket).where(
        Ticket.visit_lead_id == attempt.lead_id, Ticket.assignee_id == agent.user_id,
        Ticket.state == path.State.FOLLOWED_UP).order_by(Ticket.id)).all()
    call_id = session.scalar(select(Call.id).where(Call.attempt_id == attempt.id).order_by(Call.id).limit(1))
    for ticket in waiting:
        path.check_step(ticket.state, path.State.RETURN_VISITED, agent.user.role.value, is_assignee=True)
        take_step(session, ticket, path.State.RETURN_VISITED, agent.user_id, now,
                  f"{disposition.label}: {notes}".rstrip(": "), call_id=call_id)
    return [t.id for t in waiting]
