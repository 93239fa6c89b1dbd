"""Agent panel: seat log-in, ready/pause with reasons, screen pop, disposition, callback, preview dial."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from orchestrator.store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, Outcome
from orchestrator.store.models import Agent, AgentStateLog, Attempt, Command, Lead, Seat
from tests.web import seed
from web.db import sessions


def _agent(app) -> Agent:
    with app.app_context(), sessions()() as s:
        return s.scalars(select(Agent)).one()


def _seat_id(app) -> int:
    with app.app_context(), sessions()() as s:
        return s.scalar(select(Seat.id))


def test_seat_login_ready_pause_logout_with_state_log(app, as_role):
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
    agent = as_role("agent1")
    assert b"Log in to seat" in agent.get("/agent/").data
    agent.post("/agent/login", {"seat_id": str(_seat_id(app))})
    assert _agent(app).state is AgentState.PAUSED
    agent.post("/agent/ready")
    assert _agent(app).state is AgentState.READY
    agent.post("/agent/pause", {"reason": "lunch"})
    agent.post("/agent/pause", {"reason": "nap"})  # not a reason code: refused
    assert _agent(app).state is AgentState.PAUSED
    agent.post("/agent/logout")
    a = _agent(app)
    assert a.state is AgentState.LOGGED_OUT and a.seat_id is None
    with app.app_context(), sessions()() as s:
        log = s.execute(
            select(AgentStateLog.state, AgentStateLog.reason, AgentStateLog.ended_at).order_by(
                AgentStateLog.id
            )
        ).all()
    assert [(st.value, r) for st, r, _ in log] == [("paused", "login"), ("ready", ""), ("paused", "lunch")]
    assert all(ended is not None for _, _, ended in log)


def test_screen_pop_disposition_and_callback(app, as_role):
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s)
        (lead,) = seed.leads(s, c, ["+442079460001"])
        seed.attempt(
            s, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED, ended=False
        )
        a.state, a.state_since = AgentState.ON_CALL, now
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    assert "+442079460001" in page and "Cust 0001" in page and "Say hello" in page  # lead + script
    status = agent.get("/agent/status.json").get_json()
    assert status["state"] == "on_call" and status["bridged"] is True
    with app.app_context(), sessions()() as s:
        attempt = s.scalars(select(Attempt)).one()
        callback = s.scalars(select(Lead)).one().campaign.dispositions[1]
    later = (now + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    agent.post(
        "/agent/dispose",
        {
            "attempt_id": str(attempt.id),
            "disposition_id": str(callback.id),
            "callback_at": later.isoformat(timespec="minutes"),
            "tz_offset_min": "60",
            "callback_mine": "on",
            "notes": "call after 5",
        },
    )
    with app.app_context(), sessions()() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.status is LeadStatus.CALLBACK and lead.callback_agent_id == _agent(app).id
        # Browser said UTC-1 (offset +60 min): the stored time is one hour later in UTC.
        assert lead.next_call_at == later.replace(second=0, tzinfo=UTC) + timedelta(hours=1)
        assert s.get(Attempt, attempt.id).notes == "call after 5"


def test_cannot_dispose_someone_elses_call(app, as_role):
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        c = seed.campaign(s)
        (lead,) = seed.leads(s, c, ["+442079460001"])
        other = seed.attempt(s, lead, agent=None, start=now, outcome=Outcome.CONNECTED)
        sale = c.dispositions[0]
    agent = as_role("agent1")
    agent.get("/agent/")
    page = agent.post(
        "/agent/dispose", {"attempt_id": str(other.id), "disposition_id": str(sale.id)}, follow_redirects=True
    )
    assert b"not yours" in page.data


def test_preview_next_lead_and_dial_command(app, as_role):
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s, "Preview", CampaignMode.PREVIEW)
        c.desired_state = CampaignState.RUNNING
        seed.leads(s, c, ["+442079460001", "+442079460002"])
    agent = as_role("agent1")
    agent.get("/agent/")
    agent.post("/agent/login", {"seat_id": str(_seat_id(app))})
    page = agent.get("/agent/").get_data(as_text=True)
    assert "Next lead" in page
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    page = agent.get("/agent/").get_data(as_text=True)
    assert "+442079460001" in page
    agent.post("/agent/preview/skip")
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    agent.post("/agent/preview/dial")
    with app.app_context(), sessions()() as s:
        command = s.scalars(select(Command)).one()
        assert command.kind == "preview_dial" and command.agent_id == a.id
        assert command.payload["phone"] in ("+442079460001", "+442079460002")
        assert s.get(Agent, a.id).state is AgentState.RESERVED


def test_agent_cannot_take_a_disabled_seat(app, as_role):
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        s.scalars(select(Seat)).one().enabled = False
    agent = as_role("agent1")
    agent.get("/agent/")
    page = agent.post("/agent/login", {"seat_id": str(_seat_id(app))}, follow_redirects=True)
    assert b"disabled or taken" in page.data
    assert _agent(app).state is AgentState.LOGGED_OUT
