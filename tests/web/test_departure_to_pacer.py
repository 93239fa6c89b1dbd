"""An agent's announced departure, from the agent panel to the pacer and back to the wallboard.

Issue 18's items 3 and 4 as users meet them, with the runner really running (without a PBX,
as in ``tests/runner``: hand-made PBX events in, on the same database the web app uses): the
agent, on a call of a predictive campaign, says in the panel that they go to lunch after this
call; the runner takes the request, the pacer's state shows the agent leaving (``leaving_at``),
the policy stops counting on them, the runner stores why, and the supervisor's wallboard says
so. The unit tests cover each link (``test_dialer_agents``, ``test_pacing_uncertainty``,
``test_pacing_explained``); this one checks they are joined.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from lab import demo
from orchestrator.events import AmdResult, AmdVerdict, Answered, PbxConnected, Tick
from orchestrator.pacing.base import PacingReason
from store import models as m
from store.enums import AgentState, CampaignMode
from tests.db.builders import TEST_SEALER
from tests.db.conftest import engine, sessions  # noqa: F401 - fixtures: the runner's, on the app's database
from tests.runner.test_feed import NODE, drain, new_runner
from tests.web.conftest import PASSWORD


def test_lunch_announced_in_the_panel_reaches_the_pacer_and_the_wallboard(app, as_role, sessions):  # noqa: F811
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, NODE)
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "seat-secret-1")],
                                      password=PASSWORD)
        campaign = demo.create_campaign(s, "Predictive", CampaignMode.PREDICTIVE,
                                        [f"+3310000{i:04d}" for i in range(20)])
        demo.log_in(s, node, campaign, [agent])
        campaign_id, agent_id = campaign.id, agent.id
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))  # the seat's phone: READY
    runner.feed(Tick(time.time()))
    dial = next(o for o in drain(runner) if getattr(o, "attempt_id", None) != leg.attempt_id)
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))
    runner.feed(AmdResult(time.time(), dial.channel_id, dial.attempt_id, verdict=AmdVerdict.HUMAN))
    drain(runner)
    with sessions() as s:
        assert s.get(m.Agent, agent_id).state is AgentState.ON_CALL

    panel = as_role("agent001")
    assert "Leave" in panel.get("/agent/").get_data(as_text=True)
    panel.post("/agent/leaving", {"reason": "lunch", "at": ""})  # after this call
    assert runner.poll_commands() == 1

    dialer = runner.slots[campaign_id].dialer
    (view,) = dialer.pacing_state(time.time()).agents
    assert view.state is AgentState.ON_CALL
    assert view.leaving_at is not None  # the pacer no longer counts on the agent
    runner.feed(Tick(time.time()))
    explanation = dialer.lines.policy.explain()
    assert PacingReason.DEPARTURES in explanation.reasons
    assert explanation.leaving == 1
    with sessions() as s:
        note = s.scalar(select(m.PacingNote.text).where(m.PacingNote.campaign_id == campaign_id))
    assert "1 of 1 agents announced they leave" in note

    board = as_role("sup").get("/wallboard/snapshot.json").get_json()
    (row,) = [r for r in board["campaigns"] if r["name"] == "Predictive"]
    assert "1 of 1 agents announced they leave" in row["pacing_note"]
