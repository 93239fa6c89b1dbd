"""The wallboard's figures of the day: each agent's talk, wrap-up and pause time, and the inbound queues."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.enums import AgentState, CallDirection, QueueOutcome
from store.models import Agent, Call, User
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions


def test_each_agent_shows_todays_talk_wrap_and_pause_time(app, as_role):
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = (now - midnight).total_seconds()
    at = [midnight + timedelta(seconds=span * share) for share in (0.1, 0.3, 0.6, 0.7, 0.8)]
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        seed.state(s, agent, AgentState.PAUSED, midnight - timedelta(hours=2), reason="lunch")
        for state, since in zip((AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.PAUSED,
                                 AgentState.ON_CALL), at, strict=True):
            seed.state(s, agent, state, since)
    (row,) = as_role("sup").get("/wallboard/snapshot.json").get_json()["agents"]
    # Talk: 0.3 -> 0.6 and 0.8 -> now (still on the call); pause: midnight -> 0.1 and 0.7 -> 0.8.
    assert row["talk_s"] == pytest.approx(span * 0.3 + (datetime.now(UTC) - at[4]).total_seconds(), abs=2)
    assert row["wrap_s"] == pytest.approx(span * 0.1, abs=1)
    assert row["pause_s"] == pytest.approx(span * 0.2, abs=1)
    board = as_role("sup").get("/wallboard/board").get_data(as_text=True)
    assert "Talk today" in board


def test_the_inbound_queues_show_who_waits_now_and_the_days_service_level(app, as_role):
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        route = seed.hotline(s)

        def call(started: datetime, outcome: QueueOutcome | None = None, wait: int | None = None) -> Call:
            return Call(direction=CallDirection.INBOUND, caller="8613800000000", callee=route.did,
                        started_at=started, route_id=route.id, queue_outcome=outcome,
                        queue_wait_s=None if wait is None else Decimal(wait),
                        ended_at=None if outcome is None else started + timedelta(seconds=60))

        s.add_all([
            call(now - timedelta(seconds=30)),  # waiting now
            call(now - timedelta(seconds=5)),  # waiting now
            call(now - timedelta(minutes=30)),  # sent on unseen long ago: no longer waiting
            call(max(now - timedelta(minutes=5), now.replace(hour=0, minute=0)), QueueOutcome.ANSWERED, 8),
            call(max(now - timedelta(minutes=4), now.replace(hour=0, minute=0)), QueueOutcome.OVERFLOW, 40),
            call(max(now - timedelta(minutes=3), now.replace(hour=0, minute=0)), QueueOutcome.ABANDONED, 70),
        ])
    (queue,) = as_role("sup").get("/wallboard/snapshot.json").get_json()["queues"]
    assert queue["route"] == "400 hotline"
    assert (queue["waiting"], queue["offered"], queue["answered"], queue["abandoned"]) == (2, 3, 2, 1)
    assert queue["longest_wait_s"] == pytest.approx(30, abs=2)
    assert queue["service_level"] == pytest.approx(1 / 3)  # answered within 20 s, of all offered
    assert queue["asa_s"] == pytest.approx(24.0)
    board = as_role("sup").get("/wallboard/board").get_data(as_text=True)
    assert "400 hotline" in board


def test_a_wallboard_for_one_team_on_a_wall_screen_has_no_menu_and_no_buttons(app, as_role, two_teams):  # noqa: F811
    with app.app_context(), sessions().begin() as s:
        for name in ("agent1", "agent2"):
            agent = s.scalars(select(Agent).join(Agent.user).where(User.username == name)).one()
            seed.state(s, agent, AgentState.READY, datetime.now(UTC))
    sup = as_role("sup")
    page = sup.get("/wallboard/").get_data(as_text=True)
    assert "<nav>" in page
    assert 'name="tv"' in page  # the TV mode button
    team_id = int(re.search(r'<option value="(\d+)">Team 1</option>', page)[1])
    tv = sup.get(f"/wallboard/?team={team_id}&tv=1").get_data(as_text=True)
    assert '<body class="tv">' in tv
    assert "<nav>" not in tv
    assert "Leave the TV mode" in tv
    assert 'class="force"' not in tv
    assert 'class="move"' not in tv
    assert f'hx-get="/wallboard/board?team={team_id}&amp;tv=1"' in tv
    board = sup.get(f"/wallboard/board?team={team_id}&tv=1").get_data(as_text=True)
    assert "agent1" in board
    assert "agent2" not in board  # Team 2's
    assert 'class="force"' not in board
    assert 'class="force"' in sup.get("/wallboard/board").get_data(as_text=True)
    # A team leader picks only among their own teams.
    lead = as_role("lead1")
    assert lead.get(f"/wallboard/?team={two_teams[2]['Team 2']}").status_code == 404
    assert lead.get(f"/wallboard/board?team={two_teams[2]['Team 2']}").status_code == 404
    assert "agent1" in lead.get(f"/wallboard/board?team={team_id}&tv=1").get_data(as_text=True)
