"""Overdue complaints escalated by the scheduler's job: to the assignee's team leader once the step is late,
to the directors when it stays late a further period; idempotent, in the ticket's history and the audit
log, a badge on the list and the page, "my escalations" and a count in the nav for the people told; a
database outage costs the job one round, never the process."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from lab.faults import hold_sqlite_write_lock
from orchestrator.quality.tickets import Escalation, EscalationPolicy
from store.db import make_engine, session_factory
from store.enums import TicketEventKind, UserRole
from store.models import AuditLog, Ticket, User
from store.types import utcnow
from tests.web.conftest import _password_hash
from tests.web.test_tickets import calls  # noqa: F401 - fixture: a call of agent1 (Team 1, led by lea)
from web.campaigns import scheduler
from web.db import sessions


def _text(page) -> str:
    return page.get_data(as_text=True)


@pytest.fixture
def assigned(app, as_role, calls):  # noqa: F811
    """A complaint about agent1's call, opened, accepted and assigned to agent1 by a supervisor through
    the pages; a director ``dee``. Returns when it was assigned (its next step's SLA runs from then)."""
    with app.app_context(), sessions().begin() as s:
        s.add(User(username="dee", password_hash=_password_hash(), role=UserRole.DIRECTOR))
        agent1 = s.scalar(select(User.id).where(User.username == "agent1"))
    sup = as_role("sup")
    sup.post("/tickets", {"call_id": calls[0], "subject": "Never got the refund"})
    sup.post("/tickets/1/step", {"to": "accepted"})
    assert f'<option value="{agent1}">agent1 (agent)' in _text(sup.get("/tickets/1"))  # agents are assignable
    page = sup.post("/tickets/1/step", {"to": "assigned", "assignee_id": agent1}, follow_redirects=True)
    assert "Complaint 1 assigned." in _text(page)
    with app.app_context(), sessions()() as s:
        return s.get_one(Ticket, 1).state_since


def _run_job_at(monkeypatch, settings, at: datetime, policy: EscalationPolicy | None = None) -> None:
    """The scheduler's job as its interval runs it, with the clock at ``at``."""
    monkeypatch.setattr(scheduler, "utcnow", lambda: at)
    scheduler.configure(session_factory(make_engine(settings.sqlalchemy_url)), escalation=policy)
    scheduler.escalate_tickets()


def _history(app) -> list[tuple[str, str]]:
    with app.app_context(), sessions()() as s:
        return [(e.kind.value, e.note) for e in s.get_one(Ticket, 1).events]


def test_an_overdue_ticket_goes_to_the_team_leader_then_the_directors(app, as_role, assigned, monkeypatch,
                                                                     settings):
    sup, lea, dee = as_role("sup"), as_role("lea"), as_role("dee")
    # 24 h to be supervised: at 23 h nobody is told.
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=23))
    assert [kind for kind, _ in _history(app)] == ["step", "step", "step"]
    assert 'id="my-escalations"' not in _text(lea.get("/tickets"))

    # At 25 h: lea, agent1's team leader; twice is once.
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=25))
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=25, minutes=1))
    due = assigned + timedelta(hours=24)
    assert _history(app)[3:] == [
        ("escalated", f"escalated to lea (team leader): supervised was due {due:%Y-%m-%d %H:%M} UTC")]
    page = _text(sup.get("/tickets/1"))
    assert "escalated to lea (team leader)</span>" in page  # the badge
    assert "<td>escalated</td>" in page
    assert "<td>scheduler</td>" in page
    board = _text(lea.get("/tickets"))
    assert re.search(r'<span class="badge escalated" id="my-escalations"[^>]*>1</span>', board)  # the nav
    assert "Never got the refund" in _text(lea.get("/tickets?mine=1"))
    assert "No complaints." in _text(dee.get("/tickets?mine=1"))  # not the directors' yet
    assert 'name="mine"' not in _text(sup.get("/tickets"))  # a supervisor is not escalated to

    # 24 h further (the default): the directors too; lea keeps it among hers.
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=49))
    assert [kind for kind, _ in _history(app)][3:] == ["escalated", "escalated"]
    assert _history(app)[-1][1].startswith("escalated to the directors: supervised was due")
    assert "Never got the refund" in _text(dee.get("/tickets?mine=1"))
    assert "Never got the refund" in _text(lea.get("/tickets?mine=1"))
    assert "escalated to the directors</span>" in _text(dee.get("/tickets"))
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=99))
    assert len(_history(app)) == 5  # nothing above the directors

    # The supervisor takes the late step: the escalation is over, the history keeps it.
    assert "Complaint 1 supervised." in _text(sup.post("/tickets/1/step", {"to": "supervised"},
                                                         follow_redirects=True))
    assert "badge escalated" not in _text(sup.get("/tickets/1"))
    assert "No complaints." in _text(lea.get("/tickets?mine=1"))
    assert 'id="my-escalations"' not in _text(dee.get("/tickets"))
    with app.app_context(), sessions()() as s:
        ticket = s.get_one(Ticket, 1)
        assert (ticket.escalation, ticket.escalated_to_id) == (None, None)
        assert [e.kind for e in ticket.events].count(TicketEventKind.ESCALATED) == 2
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "ticket.escalated")).all()
        assert [(a.actor, a.details["level"]) for a in audit] == [("system", "team_leader"),
                                                                  ("system", "director")]


def test_the_further_period_is_set_per_step_and_a_ticket_without_a_leader_goes_to_the_directors(
        app, as_role, assigned, monkeypatch, settings):
    policy = EscalationPolicy.parse(24, "assigned=2")
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=27), policy)
    with app.app_context(), sessions()() as s:
        assert s.get_one(Ticket, 1).escalation is Escalation.DIRECTOR  # 24 h + 2 h: both at once
        notes = [e.note.split(":")[0] for e in s.get_one(Ticket, 1).events[3:]]
        assert notes == ["escalated to the directors"]
    with app.app_context(), sessions().begin() as s:  # a complaint nobody leads: no call, no team
        s.add(Ticket(subject="Walk-in complaint", state_since=utcnow() - timedelta(hours=5)))
    _run_job_at(monkeypatch, settings, utcnow())
    assert "Walk-in complaint" in _text(as_role("dee").get("/tickets?mine=1"))


def test_the_job_rides_out_a_database_outage_and_catches_up(app, assigned, monkeypatch, settings, db_url):
    """SQLite held by a long import, or PostgreSQL not answering: the job logs, returns and escalates on
    its next run."""
    late = assigned + timedelta(hours=25)
    monkeypatch.setattr(scheduler, "utcnow", lambda: late)
    if db_url.startswith("sqlite"):
        scheduler.configure(session_factory(make_engine(settings.sqlalchemy_url)))
        with hold_sqlite_write_lock(db_url):
            scheduler.escalate_tickets()
    else:
        down = make_url(settings.sqlalchemy_url).set(port=1)  # nothing listens there: connection refused
        scheduler.configure(session_factory(make_engine(down)))
        scheduler.escalate_tickets()
    with app.app_context(), sessions()() as s:
        assert s.get_one(Ticket, 1).escalation is None
    _run_job_at(monkeypatch, settings, late)
    with app.app_context(), sessions()() as s:
        assert s.get_one(Ticket, 1).escalation is Escalation.TEAM_LEADER
