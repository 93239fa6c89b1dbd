"""A supervisor (or the agent's team leader) pauses, logs out or moves an agent to another campaign
from the wallboard: the runner is told as by the agent's own "after this call" (never cutting a live
call), audited; another team's leader and agents get 403; a logged-out agent, an unknown action or a
campaign they may not work is refused with a reason and nothing written."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from orchestrator.dialer.inputs import AgentLeaving, AgentMove
from runner.commands_in import take_inputs
from store.enums import AgentState, CampaignState, DeskCommand
from store.models import Agent, AuditLog, Campaign, DeskRequest, Team
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


# -- moving an agent to another campaign ------------------------------------------------------------

@pytest.fixture
def campaigns(app, floor):  # noqa: F811
    """agent1 on a call for "C1"; "Evening" runs for Team 1, "Paused" does not run, "Team 2 only" runs
    for Team 2 alone."""
    with app.app_context(), sessions().begin() as s:
        c1 = s.scalars(select(Campaign).where(Campaign.name == "C1")).one()
        c1.desired_state = CampaignState.RUNNING
        seed.state(s, s.get(Agent, floor["agent1"]), AgentState.ON_CALL, datetime.now(UTC), campaign=c1)
        ids = {"C1": c1.id}
        for name, state in (("Evening", CampaignState.RUNNING), ("Paused", CampaignState.PAUSED),
                            ("Team 2 only", CampaignState.RUNNING)):
            c = seed.campaign(s, name)
            c.desired_state = state
            team = "Team 2" if name == "Team 2 only" else "Team 1"
            c.teams = [s.scalars(select(Team).where(Team.name == team)).one()]
            s.flush()
            ids[name] = c.id
    return ids


def _move(client, agent_id: int, campaign_id: object) -> str:
    response = client.post(f"/wallboard/agents/{agent_id}/move", {"campaign_id": str(campaign_id)})
    assert response.status_code == 302, response.status_code
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def _moves(app) -> tuple[list[DeskRequest], list[AuditLog]]:
    with app.app_context(), sessions()() as s:
        return (s.scalars(select(DeskRequest).where(DeskRequest.kind == DeskCommand.AGENT_MOVE)).all(),
                s.scalars(select(AuditLog).where(AuditLog.action == "agent.move")).all())


def test_a_team_leader_moves_their_agent_after_the_call_audited_and_the_runner_is_told(
    app, as_role, floor, campaigns  # noqa: F811
):
    lead = as_role("lead1")
    page = lead.get("/wallboard/").get_data(as_text=True)
    assert f'<option value="{campaigns["Evening"]}">Evening</option>' in page
    assert "Team 2 only</option>" not in page  # not their team's
    assert "Paused</option>" not in page  # not running
    assert f'data-url="/wallboard/agents/{floor["agent1"]}/move" data-name="agent1"' in page
    assert '<td class="campaign">C1</td>' in page  # the campaign each agent works for now
    said = _move(lead, floor["agent1"], campaigns["Evening"])
    assert "agent1: moves to Evening after the call in progress" in said
    (request,), (audit,) = _moves(app)
    assert (request.agent_id, request.campaign_id) == (floor["agent1"], campaigns["Evening"])
    assert (audit.target_id, audit.details["campaign_name"]) == (str(floor["agent1"]), "Evening")
    with app.app_context(), sessions().begin() as s:  # the runner of the agent's node takes it
        (taken,) = take_inputs(s, request.node_id, datetime.now(UTC).timestamp(), taken_by="test-runner")
    assert taken.event == AgentMove(taken.event.at, floor["agent1"], campaigns["Evening"])


def test_a_move_the_agent_may_not_make_is_refused_with_nothing_written(app, as_role, floor, campaigns):  # noqa: F811
    sup = as_role("sup")
    refusals = {
        campaigns["Paused"]: "choose a running outbound campaign that agent1's team works on",
        campaigns["Team 2 only"]: "choose a running outbound campaign that agent1's team works on",
        "": "choose a running outbound campaign that agent1's team works on",
        campaigns["C1"]: "agent1 is on C1 already",
    }
    for campaign_id, reason in refusals.items():
        assert reason in _move(sup, floor["agent1"], campaign_id), campaign_id
    with app.app_context(), sessions().begin() as s:
        seed.state(s, s.get(Agent, floor["agent1"]), AgentState.LOGGED_OUT, datetime.now(UTC))
    assert "agent1 is not logged in" in _move(sup, floor["agent1"], campaigns["Evening"])
    assert sup.post(f"/wallboard/agents/{floor['agent1']}/move", {"campaign_id": "x"}).status_code == 400
    assert _moves(app) == ([], [])
    assert sup.post("/wallboard/agents/987654/move", {"campaign_id": campaigns["Evening"]}).status_code == 404


def test_moving_another_team_s_agent_or_as_an_agent_is_403(app, as_role, floor, campaigns):  # noqa: F811
    assert as_role("lead1").post(f"/wallboard/agents/{floor['agent2']}/move",
                                 {"campaign_id": campaigns["Evening"]}).status_code == 403
    assert as_role("agent1").post(f"/wallboard/agents/{floor['agent1']}/move",
                                  {"campaign_id": campaigns["Evening"]}).status_code == 403
    assert _moves(app) == ([], [])
