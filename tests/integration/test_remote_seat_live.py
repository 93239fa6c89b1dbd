"""A remote seat on the real sandbox, both PBXes: the agent's phone is an outside number.

The sysadmin makes the seat remote on the admin page (the world's number for a human who stays on
the line, through the node's ``world`` trunk); the agent logs in there; the runner dials that
number through the trunk and holds the leg open; a progressive campaign's customer is bridged to
it. What the world received is read on the world's own event stream.

"Press 1 to accept" (the seat's box, ticked): the world's keypad number answers and presses 1, so
the leg is up and customers are bridged; a human number answers and presses nothing, so the hold
route hangs the leg up and the agent shows PAUSED "phone not confirmed", no customer dialed for them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab import demo
from lab.campaign import Kit, random_area_code, world_inbound
from lab.sandbox import fsrender
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from store import models as m
from store.enums import AgentState, CampaignMode, UserRole
from tests.integration.campaign_kit import BOTH_PBXES, AmiWatcher, kit_on, mixed_leads, run_to_end
from tests.integration.campaign_kit import web_client as admin_client

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]



def remote_seat_agent(kit: Kit, tmp_path, extension: str, phone: str) -> int:
    """The admin makes ``extension`` a remote seat at ``phone`` (press 1 to accept ticked) through the
    sandbox's own trunk to the world; its agent's id."""
    fsrender.sync_routes(kit.sandbox.settings)  # a running FreeSWITCH node takes this checkout's hold route
    with kit.sessions.begin() as s:  # the sandbox's own trunk to the world, on this node
        trunk = m.Trunk(name="world", managed=False, nodes=[s.get(m.PbxNode, kit.node_id)])
        s.add(trunk)
        s.flush()
        trunk_id = trunk.id
    admin = admin_client(kit, tmp_path, UserRole.ADMIN)
    admin.get("/admin/seats")
    response = admin.post("/admin/seats/remote", {"node_id": kit.node_id, "extension": extension,
                                                  "remote_number": phone, "trunk_id": trunk_id,
                                                  "confirm_answer": "on"})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Remote seat {extension} created" in page
    assert "(press 1 to accept)" in page
    with kit.sessions.begin() as s:
        (agent,) = demo.ensure_agents(s, kit.sealer, s.get(m.PbxNode, kit.node_id), [(extension, "unused")])
        kit.agent_ids = [agent.id]
        return agent.id


def states(kit: Kit, agent_id: int) -> list[tuple[AgentState, str]]:
    with kit.sessions() as s:
        return [(r.state, r.reason) for r in s.execute(
            select(m.AgentStateLog.state, m.AgentStateLog.reason).where(m.AgentStateLog.agent_id == agent_id)
            .order_by(m.AgentStateLog.id))]


@BOTH_PBXES
def test_a_remote_agent_who_presses_1_is_dialed_through_the_trunk_and_gets_the_customer(sandbox, tmp_path,
                                                                                          kind):
    kit = kit_on(sandbox, tmp_path, kind)
    phone = world_number(World.KEYPAD, 0, 930, area_code=random_area_code())  # answers, presses 1 2 #, stays
    agent_id = remote_seat_agent(kit, tmp_path, "9301", phone)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=931, talk={World.HUMAN: (5,)})
    campaign = kit.campaign("remote-seat", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)

    # The campaign's own acceptance checks (AMD, recording of the bridged call...), and the world's view.
    with AmiWatcher(kit.sandbox.world) as world, run_to_end(kit, campaign, leads) as (report, pbx):
        assert report.outcomes == {"connected": 1}
        # The agent's phone rang once, at the world, as the number the admin typed.
        (rang,) = world_inbound(world, {phone})
        assert rang["Exten"] == phone
        # The PBX itself reported the key (UserEvent / CUSTOM), on the agent's leg.
        assert len(pbx.agent_confirmed()) == 1

    (attempt,) = kit.attempts(campaign)
    assert attempt.bridged_at is not None
    assert attempt.agent_id == agent_id
    seen = [state for state, _ in states(kit, agent_id)]
    # Connecting until the key, ready once the remote phone pressed 1, on the call, logged out with the stop.
    assert seen.index(AgentState.PAUSED) < seen.index(AgentState.READY) < seen.index(AgentState.ON_CALL)
    kit.close()


@BOTH_PBXES
def test_a_remote_phone_that_answers_without_pressing_1_is_hung_up_and_the_agent_paused_with_the_reason(
        sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    phone = world_number(World.HUMAN, 0, 940, area_code=random_area_code())  # answers, talks, never presses
    agent_id = remote_seat_agent(kit, tmp_path, "9302", phone)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=941)
    campaign = kit.campaign("remote-unconfirmed", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()
    with AmiWatcher(kit.sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("the agent paused, phone not confirmed",
                         lambda s: (s.get(m.Agent, agent_id).state, s.get(m.Agent, agent_id).state_reason)
                         == (AgentState.PAUSED, "phone not confirmed"), runner)
            # The world answered the agent's number once and the hold route hung it up: no leg left.
            (rang,) = world_inbound(world, {phone})
            kit.wait_for("the agent's leg hung up at the world",
                         lambda s: world.matching(lambda e: e.get("Event") == "Hangup"
                                                  and e.get("Uniqueid") == rang["Uniqueid"]) != [], runner)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
    assert kit.attempts(campaign) == []  # no customer was dialed for an agent whose phone never accepted
    assert (AgentState.READY, "") not in states(kit, agent_id)
    kit.close()
