"""A supervisor (or the agent's team leader) pauses or logs an agent out from the wallboard: the
runner is told as by the agent's own "after this call" (never cutting a live call), audited; another
team's leader and agents get 403; a logged-out agent or an unknown action is refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from orchestrator.dialer.inputs import AgentLeaving
from runner.commands_in import take_inputs
from store.enums import AgentState, DeskCommand
from store.models import Agent, AuditLog, DeskRequest
from tests.web import seed
from tests.web.test_monitoring import floor  # noqa: F401 - fixture
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.agent.services import FORCED_PAUSE
from web.db import sessions


def _force(client, agent_id: int, action: str):
    response = client.post(f"/wallboard/agents/{agent_id}/force", {"action": action})
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_team_leader_pauses_their_agent_after_the_call_and_the_runner_is_told(app, as_role, floor):  # noqa: F811
    lead = as_role("lead1")
    board = lead.get("/wallboard/").get_data(as_text=True)
    button = f'data-url="/wallboard/agents/{floor["agent1"]}/force" data-name="agent1" data-action="pause"'
    assert button in board
    assert "agent1: pause after the call in progress" in _force(lead, floor["agent1"], "pause")
    with app.app_context(), sessions()() as s:
        (request,) = s.scalars(select(DeskRequest).where(DeskRequest.kind == DeskCommand.AGENT_LEAVING)).all()
        assert request.agent_id == floor["agent1"]
        assert request.payload == {"at": None, "state": "paused", "reason": FORCED_PAUSE}
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "agent.force_pause")).one()
        assert audit.target_id == str(floor["agent1"])
        node_id = request.node_id
    with app.app_context(), sessions().begin() as s:  # the runner of the agent's node takes it
        (taken,) = take_inputs(s, node_id, datetime.now(UTC).timestamp(), taken_by="test-runner")
    event = taken.event
    assert isinstance(event, AgentLeaving)
    assert (event.agent_id, event.leaving_at, event.state, event.reason) == (
        floor["agent1"], None, AgentState.PAUSED, FORCED_PAUSE)  # None: after this call, or now if free


def test_a_supervisor_logs_out_any_agent_and_bad_asks_are_refused(app, as_role, floor):  # noqa: F811
    sup = as_role("sup")
    assert "agent2: log out after the call in progress" in _force(sup, floor["agent2"], "log out")
    assert "pause or log out" in _force(sup, floor["agent2"], "fire")
    with app.app_context(), sessions().begin() as s:
        agent = s.get(Agent, floor["agent1"])
        seed.state(s, agent, AgentState.LOGGED_OUT, datetime.now(UTC))
    assert "agent1 is not logged in" in _force(sup, floor["agent1"], "pause")
    with app.app_context(), sessions()() as s:
        kinds = [r.payload["state"] for r in s.scalars(select(DeskRequest).where(
            DeskRequest.kind == DeskCommand.AGENT_LEAVING))]
    assert kinds == ["logged_out"]  # the refused ones wrote nothing
    assert sup.post("/wallboard/agents/987654/force", {"action": "pause"}).status_code == 404


def test_another_team_s_leader_and_agents_get_403(as_role, floor):  # noqa: F811
    assert as_role("lead1").post(f"/wallboard/agents/{floor['agent2']}/force",
                                 {"action": "pause"}).status_code == 403
    assert as_role("agent1").post(f"/wallboard/agents/{floor['agent1']}/force",
                                  {"action": "pause"}).status_code == 403
