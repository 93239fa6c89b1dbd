"""Complaint tickets through the forms: opened from a call in scope, walked along the fixed path by the
roles that may take each step, stamped and audited; the wrong role or order is refused, saying why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from orchestrator.quality.tickets import State
from store.enums import Outcome, UserRole
from store.models import Agent, AuditLog, Call, Seat, Team, Ticket, User
from tests.web import seed
from tests.web.conftest import _password_hash
from web.db import sessions


@pytest.fixture
def calls(app):
    """A call of agent1 (Team 1, led by lea) and one of agent2 (Team 2)."""
    with app.app_context(), sessions().begin() as s:
        a1 = seed.agent(s)
        lea = User(username="lea", password_hash=_password_hash(), role=UserRole.TEAM_LEADER)
        s.add(lea)
        s.scalars(select(Team)).one().leader = lea
        a2 = Agent(user=User(username="agent2", password_hash=_password_hash(), role=UserRole.AGENT),
                   team=Team(name="Team 2"),
                   seat=Seat(node=s.scalars(select(seed.PbxNode)).one(), extension="8099", secret="x"))
        s.add(a2)
        c = seed.campaign(s)
        one, two = seed.leads(s, c, ["+12015550101", "+12015550102"])
        start = datetime.now(UTC) - timedelta(hours=2)
        ids = []
        for lead, agent in ((one, a1), (two, a2)):
            attempt = seed.attempt(s, lead, agent=agent, start=start, outcome=Outcome.CONNECTED, talk_s=40)
            ids.append(s.scalar(select(Call.id).where(Call.attempt_id == attempt.id)))
        return ids


def _text(page) -> str:
    return page.get_data(as_text=True)


def test_a_complaint_walks_the_whole_path_by_permitted_roles_and_refuses_the_wrong_ones(app, as_role, calls):
    lea, sup, qa = as_role("lea"), as_role("sup"), as_role("qa")
    page = lea.post("/tickets", {"call_id": calls[0], "subject": "Promised a refund that never came",
                                 "description": "Called twice"}, follow_redirects=True)
    assert "Complaint 1 opened." in _text(page)
    assert "+12015550101" in _text(page)  # the customer, from the outbound call
    with app.app_context(), sessions()() as s:
        lea_id = s.scalar(select(User.id).where(User.username == "lea"))

    def step(client, to: str, **extra: object) -> str:
        return _text(client.post("/tickets/1/step", {"to": to, **extra}, follow_redirects=True))

    assert "Refused: a ticket that is answered is accepted next, not closed." in step(qa, "closed")
    assert "Complaint 1 accepted." in step(lea, "accepted")
    assert "assign the ticket to a person or a department" in step(lea, "assigned")
    assert "assign to someone who handles complaints" in step(lea, "assigned", assignee_id=99)
    assert "Complaint 1 assigned." in step(lea, "assigned", assignee_id=lea_id, department="Billing")
    assert ("Refused: a team leader cannot mark a ticket supervised: admin, director, qa, supervisor can."
            in step(lea, "supervised"))
    assert "Complaint 1 supervised." in step(sup, "supervised", note="refund approved")
    assert "or the person it is assigned to can" in step(qa, "followed_up")
    assert "Complaint 1 followed up." in step(lea, "followed_up")  # lea: the assignee
    assert "Complaint 1 return visit done." in step(lea, "return_visited", note="customer satisfied")
    assert "Refused: a team leader cannot mark a ticket closed" in step(lea, "closed")
    page = step(qa, "closed")
    assert "Complaint 1 closed." in page
    assert "Refused: the ticket is closed: nothing follows." in step(qa, "closed")
    assert lea.post("/tickets/1/step", {"to": "done"}).status_code == 400
    with app.app_context(), sessions()() as s:
        ticket = s.get(Ticket, 1)
        assert ticket is not None
        assert ticket.state is State.CLOSED
        assert [(e.state.value, e.by.username if e.by else "") for e in ticket.events] == [
            ("answered", "lea"), ("accepted", "lea"), ("assigned", "lea"), ("supervised", "sup"),
            ("followed_up", "lea"), ("return_visited", "lea"), ("closed", "qa")]
        stamps = [e.at for e in ticket.events]
        assert stamps == sorted(stamps)
        actions = s.scalars(select(AuditLog.action).where(AuditLog.target_type == "ticket")).all()
        assert actions == ["ticket.open", "ticket.accepted", "ticket.assigned", "ticket.supervised",
                           "ticket.followed_up", "ticket.return_visited", "ticket.closed"]
    listed = _text(qa.get("/tickets?state=closed"))
    assert "Promised a refund" in listed
    assert "No complaints." in _text(qa.get("/tickets?state=accepted"))
    assert qa.get("/tickets?state=lost").status_code == 400


def test_tickets_are_scoped_to_the_leaders_teams(app, as_role, calls):
    lea, qa = as_role("lea"), as_role("qa")
    page = lea.post("/tickets", {"call_id": calls[1], "subject": "Rude"}, follow_redirects=True)
    assert f"no call {calls[1]} that you may see" in _text(page)
    assert "open a complaint from one of your team" in _text(
        lea.post("/tickets", {"subject": "No call"}, follow_redirects=True))
    assert "Complaint 1 opened." in _text(qa.post("/tickets", {"call_id": calls[1], "subject": "Rude"},
                                                 follow_redirects=True))
    blank = qa.post("/tickets", {"subject": " "}, follow_redirects=True)
    assert "a complaint needs a subject" in _text(blank)
    assert lea.get("/tickets/1").status_code == 404
    assert lea.post("/tickets/1/step", {"to": "accepted"}).status_code == 404
    assert "Rude" not in _text(lea.get("/tickets"))
    agent = as_role("agent1")  # an agent sees only complaints assigned to them, and opens none here
    assert "No complaints." in _text(agent.get("/tickets"))
    assert agent.get("/tickets/1").status_code == 404
    assert 'id="new-ticket"' not in _text(agent.get("/tickets"))
    assert agent.post("/tickets", {"subject": "x"}).status_code == 403


def test_tickets_past_their_steps_sla_are_highlighted_and_filtered(app, as_role, calls):
    """4 h to accept, 8 h to assign (``tickets.SLA``): a ticket answered 5 h ago is overdue, one accepted
    5 h ago is not, a closed one never is."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        for subject, state, hours in (("Late to accept", State.ANSWERED, 5), ("Fresh", State.ANSWERED, 1),
                                      ("Accepted in time", State.ACCEPTED, 5), ("Done", State.CLOSED, 500)):
            s.add(Ticket(subject=subject, state=state, state_since=now - timedelta(hours=hours)))
    qa = as_role("qa")

    def rows(url: str) -> list[tuple[str, str]]:  # (subject, "over" or "")
        return [(subject, cls) for cls, subject in re.findall(
            r'<tr class="(over|)"><td><a href="/tickets/\d+">\d+</a></td>\s*<td>[^<]*</td><td>([^<]+)</td>',
            _text(qa.get(url)))]

    assert sorted(rows("/tickets")) == [("Accepted in time", ""), ("Done", ""), ("Fresh", ""),
                                        ("Late to accept", "over")]
    assert rows("/tickets?overdue=1") == [("Late to accept", "over")]
    assert ": overdue." in _text(qa.get("/tickets/1"))
    assert "Next step due" in _text(qa.get("/tickets/2"))
    assert ": overdue." not in _text(qa.get("/tickets/2"))
    assert "Next step due" not in _text(qa.get("/tickets/4"))  # closed: nothing is due
