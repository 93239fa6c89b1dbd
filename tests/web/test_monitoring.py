"""Live monitoring from the wallboard: scope, the audited session, the desk request the runner takes."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from orchestrator.monitor import MonitorMode, MonitorRequest
from runner.commands_in import take_inputs
from store.enums import AgentState, DeskCommand, DeskRequestStatus, UserRole
from store.models import Agent, AuditLog, DeskRequest, MonitorSession, Seat, Team, User
from tests.web import seed
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM, _login, live_url, page  # noqa: F401 - fixtures
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.auth import services as auth_services
from web.db import sealer, sessions

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def floor(app, two_teams):  # noqa: F811 - the fixture imported above
    """agent1 (Team 1, led by lead1) and agent2 (Team 2) on calls; a free phone of each team on their node."""
    with app.app_context(), sessions().begin() as s:
        teams = dict(s.execute(select(Team.name, Team.id)).all())
        ids = {}
        for name in ("agent1", "agent2"):
            agent = s.scalars(select(Agent).join(Agent.user).where(User.username == name)).one()
            agent.seat = s.scalars(select(Seat).where(Seat.extension == f"80{agent.id:02d}")).one()
            seed.state(s, agent, AgentState.ON_CALL, NOW)
            ids[name] = agent.id
        node = s.scalars(select(Seat)).first().node
        for ext, team in (("9001", "Team 1"), ("9002", "Team 2")):
            s.add(Seat(node=node, extension=ext, secret=sealer().seal("seatsecret123"), team_id=teams[team]))
        s.flush()
        ids.update({ext: s.scalar(select(Seat.id).where(Seat.extension == ext)) for ext in ("9001", "9002")})
        ids["node"] = node.id
    return ids


def _post(client, agent, mode="whisper", seat=""):
    return client.post("/wallboard/monitor", {"agent_id": str(agent), "mode": mode, "seat_id": str(seat)})


def test_a_team_leader_whispers_to_an_agent_of_their_team_audited_and_queued_for_the_runner(
    app, as_role, floor
):
    lead = as_role("lead1")
    html = lead.get("/wallboard/").get_data(as_text=True)
    assert 'id="monitor-seat"' in html
    assert ">9001" in html
    assert ">9002" not in html  # only a phone of their team
    response = _post(lead, floor["agent1"], "whisper", floor["9001"])
    assert response.status_code == 302
    with app.app_context(), sessions()() as s:
        (row,) = s.scalars(select(MonitorSession)).all()
        assert (row.supervisor, row.agent_id, row.mode, row.seat_id) == (
            "lead1",
            floor["agent1"],
            MonitorMode.WHISPER,
            floor["9001"],
        )
        assert (row.started_at, row.ended_at) == (None, None)
        (desk,) = s.scalars(select(DeskRequest)).all()
        assert (desk.kind, desk.node_id, desk.agent_id, desk.payload) == (
            DeskCommand.MONITOR.value,
            floor["node"],
            floor["agent1"],
            {"session_id": row.id},
        )
        (audit,) = s.scalars(select(AuditLog).where(AuditLog.action == "monitor.start")).all()
        assert (audit.actor, audit.target_id, audit.details["mode"]) == (
            "lead1",
            str(floor["agent1"]),
            "whisper",
        )
    with app.app_context(), sessions().begin() as s:  # the runner of the node takes it
        (taken,) = take_inputs(s, floor["node"], time.time(), taken_by="test-runner")
        assert s.get(DeskRequest, taken.request_id).status is DeskRequestStatus.DONE
    event = taken.event
    assert isinstance(event, MonitorRequest)
    assert (event.session_id, event.agent_id, event.seat, event.mode) == (
        row.id,
        floor["agent1"],
        "9001",
        MonitorMode.WHISPER,
    )


def test_a_team_leader_of_another_team_gets_403_and_nothing_is_written(app, as_role, floor):
    lead = as_role("lead1")
    assert _post(lead, floor["agent2"], "listen", floor["9001"]).status_code == 403
    assert as_role("agent1").post("/wallboard/monitor", {"agent_id": str(floor["agent1"])}).status_code == 403
    assert as_role("qa").post("/wallboard/monitor", {"agent_id": str(floor["agent1"])}).status_code == 403
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(MonitorSession)).all() == []
        assert s.scalars(select(DeskRequest)).all() == []


@pytest.mark.parametrize(
    ("mode", "seat", "agent_state", "message"),
    [
        ("spy", "9001", AgentState.ON_CALL, "unknown monitoring mode"),
        ("listen", "9002", AgentState.ON_CALL, "choose your phone"),  # another team's phone
        ("listen", "", AgentState.ON_CALL, "choose your phone"),
        ("barge", "9001", AgentState.READY, "is not on a call"),
    ],
)
def test_bad_requests_say_why_and_write_nothing(app, as_role, floor, mode, seat, agent_state, message):
    with app.app_context(), sessions().begin() as s:
        seed.state(s, s.get(Agent, floor["agent1"]), agent_state, NOW)
    lead = as_role("lead1")
    response = _post(lead, floor["agent1"], mode, floor.get(seat, ""))
    assert response.status_code == 302
    assert message in lead.get("/wallboard/").get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(MonitorSession)).all() == []
        assert s.scalars(select(DeskRequest)).all() == []


def test_the_agents_phone_is_no_phone_to_monitor_from(app, as_role, floor):
    """A seat an agent is logged in at is not offered, and not accepted."""
    with app.app_context(), sessions()() as s:
        own = s.get(Agent, floor["agent1"]).seat_id
    assert _post(as_role("admin"), floor["agent1"], "listen", own).status_code == 302
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(MonitorSession)).all() == []


def test_the_snapshot_gives_each_agent_id_for_the_buttons(as_role, floor):
    agents = as_role("lead1").get("/wallboard/snapshot.json").get_json()["agents"]
    assert [(a["id"], a["state"]) for a in agents] == [(floor["agent1"], "on_call")]


@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")
def test_in_a_browser_the_buttons_are_on_agents_on_a_call_and_ask_first(app, floor, live_url, page):  # noqa: F811
    """A team leader's wallboard: buttons on their agent on a call only; cancelling asks nothing of the
    runner, confirming queues the session with the phone chosen above the table."""
    from playwright.sync_api import expect

    with app.app_context(), sessions().begin() as s:  # a second agent of Team 1, not on a call
        auth_services.create_user(s, "agent3", PASSWORD, UserRole.AGENT)
        s.flush()
        seed.agent(s, "agent3", "Team 1")
    tab, url = page, live_url
    _login(tab, url, "lead1")
    tab.goto(f"{url}/wallboard/")
    on_call, idle = (
        tab.locator('#agents tr[data-agent="agent1"]'),
        tab.locator('#agents tr[data-agent="agent3"]'),
    )
    expect(on_call.locator("button[data-mode=whisper]")).to_be_visible()
    expect(idle).to_be_visible()
    assert idle.locator("button").count() == 0
    tab.once("dialog", lambda d: d.dismiss())
    on_call.locator("button[data-mode=whisper]").click()
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(MonitorSession)).all() == []
    tab.once("dialog", lambda d: d.accept())
    on_call.locator("button[data-mode=barge]").click()
    expect(tab.locator(".flash.ok")).to_contain_text("barge: your phone rings now")
    with app.app_context(), sessions()() as s:
        (row,) = s.scalars(select(MonitorSession)).all()
        assert (row.mode, row.seat_id, row.agent_id) == (MonitorMode.BARGE, floor["9001"], floor["agent1"])
