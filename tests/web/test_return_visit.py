"""The return visit of a complaint, through the pages: the assignee (an agent) books it on the ticket; at
that time it is their next preview call in the agent panel; they dial it (a preview_dial for the runner),
and their disposition of the call makes the ticket "return visit done" with the call linked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from orchestrator.dialer.inputs import PreviewDial
from orchestrator.quality.tickets import State
from store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, Outcome
from store.models import Agent, AuditLog, Call, Campaign, Disposition, Lead, LeadList, Seat, Ticket, User
from tests.web import seed
from tests.web.test_agent import HTMX, _last_command
from tests.web.test_tickets import calls  # noqa: F401 - fixture: a call of agent1 (Team 1, led by lea)
from web.agent import services
from web.db import sessions

CUSTOMER = "+12015550101"  # the customer of agent1's call


def _text(page) -> str:
    return page.get_data(as_text=True)


def care_campaign(app) -> tuple[Campaign, int]:
    """A running preview campaign "Care calls", agent1 ready at their seat; returns it and agent1's user."""
    with app.app_context(), sessions().begin() as s:
        care = seed.campaign(s, "Care calls", CampaignMode.PREVIEW)
        care.desired_state = CampaignState.RUNNING
        agent = s.scalars(select(Agent).join(Agent.user).where(User.username == "agent1")).one()
        agent.seat = s.scalars(select(Seat).order_by(Seat.id)).first()
        agent.state = AgentState.READY
        return care, agent.user_id


@pytest.fixture
def followed_up(app, as_role, calls):  # noqa: F811
    """A running preview campaign; agent1 ready at their seat; a complaint about agent1's call walked by
    the supervisor to "supervised" with agent1 assigned, who marks it followed up from its page."""
    care, user_id = care_campaign(app)
    sup = as_role("sup")
    sup.post("/tickets", {"call_id": calls[0], "subject": "Never got the refund"})
    for to, extra in (("accepted", {}), ("assigned", {"assignee_id": user_id}), ("supervised", {})):
        sup.post("/tickets/1/step", {"to": to, **extra})
    agent1 = as_role("agent1")
    assert "Never got the refund" in _text(agent1.get("/tickets"))  # theirs: assigned to them
    page = agent1.post("/tickets/1/step", {"to": "followed_up", "note": "refund sent"}, follow_redirects=True)
    assert "Complaint 1 followed up." in _text(page)
    return care.id


def _book(client, campaign_id: int, at: datetime, offset_min: int = 0) -> str:
    local = (at - timedelta(minutes=offset_min)).replace(tzinfo=None).isoformat(timespec="minutes")
    return _text(client.post("/tickets/1/visit", {"campaign_id": str(campaign_id), "at": local,
                                                   "tz_offset_min": str(offset_min)}, follow_redirects=True))


def test_the_assignee_books_the_return_visit_places_it_in_preview_and_the_disposition_records_it(
        app, as_role, followed_up, monkeypatch):
    care, agent1, sup = followed_up, as_role("agent1"), as_role("sup")
    page = _text(agent1.get("/tickets/1"))
    assert 'id="visit"' in page
    assert "Care calls" in page
    assert 'id="visit"' not in _text(sup.get("/tickets/1"))  # only the assignee books it

    # Refused, saying why, changing nothing.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    assert "a return visit needs a time in the future" in _book(agent1, care, now - timedelta(hours=1))
    assert "choose a running preview campaign of your team" in _book(agent1, care + 99,
                                                                     now + timedelta(hours=1))
    assert "when? give the return visit a date and time" in _text(agent1.post(
        "/tickets/1/visit", {"campaign_id": str(care), "at": ""}, follow_redirects=True))
    assert "only the person the complaint is assigned to" in _book(sup, care, now + timedelta(hours=1))
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(Lead.id).where(Lead.campaign_id == care)) is None

    # Booked in the agent's own time zone (UTC+8: the browser's offset is -480).
    at = now + timedelta(hours=1)
    page = _book(agent1, care, at, offset_min=-480)
    assert f"Return visit booked for {at:%Y-%m-%d %H:%M} UTC" in page
    assert 'id="visit-booked"' in page
    assert f"return visit at {at:%Y-%m-%d %H:%M} UTC in Care calls" in page  # the history
    with app.app_context(), sessions()() as s:
        lead = s.scalars(select(Lead).where(Lead.campaign_id == care)).one()
        agent = s.scalars(select(Agent).join(Agent.user).where(User.username == "agent1")).one()
        assert (lead.phone, lead.status, lead.callback_agent_id, lead.next_call_at) == (
            CUSTOMER, LeadStatus.CALLBACK, agent.id, at)
        assert s.get_one(LeadList, lead.list_id).agent_id == agent.id  # their own list: no pool takes it
        assert s.get_one(Ticket, 1).visit_lead_id == lead.id
    # Booked again: the same lead moves.
    at = now + timedelta(hours=2)
    _book(agent1, care, at)
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Lead.next_call_at).where(Lead.campaign_id == care)).one() == at

    # Before its time it waits among their callbacks; "Next lead" does not hold it.
    panel = _text(agent1.get("/agent/"))
    assert "My callbacks" in panel
    assert CUSTOMER in panel
    agent1.post("/agent/preview/next", {"campaign_id": str(care)})
    assert "Dial</button>" not in _text(agent1.get("/agent/"))

    # At its time it is their next preview call, saying which complaint; they dial it.
    monkeypatch.setattr(services, "utcnow", lambda: at + timedelta(minutes=1))
    agent1.post("/agent/preview/next", {"campaign_id": str(care)})
    panel = _text(agent1.get("/agent/"))
    assert re.search(rf"Lead <strong>\{CUSTOMER}</strong>", panel)
    assert "complaint: 1: Never got the refund" in panel
    agent1.post("/agent/preview/dial")
    _command, event = _last_command(app)
    assert isinstance(event, PreviewDial)
    assert (event.campaign_id, event.agent_id, event.lead.number) == (care, agent.id, CUSTOMER)

    # The runner places it and bridges the customer to them (as tests/integration shows live).
    with app.app_context(), sessions().begin() as s:
        lead = s.get_one(Lead, lead.id)
        attempt = seed.attempt(s, lead, agent=s.get(Agent, agent.id), start=at, outcome=Outcome.CONNECTED,
                               ended=False)
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == attempt.id))
        done = s.scalar(select(Disposition.id).where(Disposition.campaign_id == care,
                                                     Disposition.code == "NO"))
        attempt_id = str(attempt.id)
    assert "Never got the refund" in _text(agent1.get("/agent/"))  # still on their screen: the complaint
    saved = _text(agent1.post("/agent/dispose", {"attempt_id": attempt_id, "disposition_id": str(done),
                                                  "notes": "customer satisfied"}, headers=HTMX))
    assert "Complaint 1: return visit done." in saved
    page = _text(sup.get("/tickets/1"))
    assert '<strong id="state">return visit done</strong>' in page
    assert f'<a href="/calls/{call_id}">{call_id}</a>' in page
    assert "Not interested: customer satisfied" in page
    assert f"<td>{call_id}</td>" in _text(agent1.get("/tickets/1"))  # no link to a page they may not open
    with app.app_context(), sessions()() as s:
        ticket = s.get_one(Ticket, 1)
        last = ticket.events[-1]
        assert (ticket.state, last.state, last.by.username, last.call_id) == (
            State.RETURN_VISITED, State.RETURN_VISITED, "agent1", call_id)
        audit = s.scalars(select(AuditLog).where(AuditLog.action.in_(
            ["ticket.visit_scheduled", "ticket.return_visited"])).order_by(AuditLog.id)).all()
        assert [(a.actor, a.action) for a in audit] == [
            ("agent1", "ticket.visit_scheduled"), ("agent1", "ticket.visit_scheduled"),
            ("agent1", "ticket.return_visited")]
        assert audit[-1].details == {"call": call_id}


def test_a_callback_disposition_leaves_the_visit_to_be_made(app, as_role, followed_up):
    care, agent1 = followed_up, as_role("agent1")
    _book(agent1, care, datetime.now(UTC) + timedelta(hours=1))
    with app.app_context(), sessions().begin() as s:
        lead = s.scalars(select(Lead).where(Lead.campaign_id == care)).one()
        agent = s.scalars(select(Agent).join(Agent.user).where(User.username == "agent1")).one()
        attempt = seed.attempt(s, lead, agent=agent, start=datetime.now(UTC), outcome=Outcome.CONNECTED,
                               ended=False)
        again = s.scalar(select(Disposition.id).where(Disposition.campaign_id == care,
                                                      Disposition.code == "CB"))
        attempt_id = str(attempt.id)
    later = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat(timespec="minutes")
    saved = _text(agent1.post("/agent/dispose", {"attempt_id": attempt_id, "disposition_id": str(again),
                                                  "callback_at": later, "tz_offset_min": "0"}, headers=HTMX))
    assert "Saved: Call back." in saved
    assert "return visit done" not in saved
    with app.app_context(), sessions()() as s:
        assert s.get_one(Ticket, 1).state is State.FOLLOWED_UP
