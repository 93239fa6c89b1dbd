"""A remote seat on the real sandbox, both PBXes: the agent's phone is an outside number.

The sysadmin makes the seat remote on the admin page (the world's number for a human who stays on
the line, through the node's ``world`` trunk); the agent logs in there; the runner dials that
number through the trunk and holds the leg open; a progressive campaign's customer is bridged to
it. What the world received is read on the world's own event stream.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab import demo
from lab.campaign import random_area_code, world_inbound
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from store import models as m
from store.enums import AgentState, CampaignMode, UserRole
from tests.integration.campaign_kit import BOTH_PBXES, AmiWatcher, kit_on, mixed_leads, run_to_end
from tests.integration.campaign_kit import web_client as admin_client

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

EXTENSION = "9301"  # the remote seat's name; no sandbox phone registers as it


@BOTH_PBXES
def test_an_agent_at_a_remote_seat_is_dialed_through_the_trunk_and_gets_the_customer(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    phone = world_number(World.HUMAN, 99, 930, area_code=random_area_code())  # answers, stays on
    with kit.sessions.begin() as s:  # the sandbox's own trunk to the world, on this node
        trunk = m.Trunk(name="world", managed=False, nodes=[s.get(m.PbxNode, kit.node_id)])
        s.add(trunk)
        s.flush()
        trunk_id = trunk.id
    admin = admin_client(kit, tmp_path, UserRole.ADMIN)
    admin.get("/admin/seats")
    response = admin.post("/admin/seats/remote", {"node_id": kit.node_id, "extension": EXTENSION,
                                                  "remote_number": phone, "trunk_id": trunk_id})
    assert "Remote seat 9301 created" in admin.get(response.headers["Location"]).get_data(as_text=True)
    with kit.sessions.begin() as s:
        (agent,) = demo.ensure_agents(s, kit.sealer, s.get(m.PbxNode, kit.node_id), [(EXTENSION, "unused")])
        kit.agent_ids = [agent_id := agent.id]
    leads = mixed_leads({World.HUMAN: 1}, first_serial=931, talk={World.HUMAN: (5,)})
    campaign = kit.campaign("remote-seat", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)

    # The campaign's own acceptance checks (AMD, recording of the bridged call...), and the world's view.
    with AmiWatcher(kit.sandbox.world) as world, run_to_end(kit, campaign, leads) as (report, _):
        assert report.outcomes == {"connected": 1}
        # The agent's phone rang once, at the world, as the number the admin typed.
        assert [e["Exten"] for e in world_inbound(world, {phone})] == [phone]

    (attempt,) = kit.attempts(campaign)
    assert attempt.bridged_at is not None
    assert attempt.agent_id == agent_id
    with kit.sessions() as s:
        states = s.scalars(select(m.AgentStateLog.state).where(m.AgentStateLog.agent_id == agent_id)
                           .order_by(m.AgentStateLog.id)).all()
    # Ready once the remote phone answered, on the call, logged out with the campaign's stop.
    assert AgentState.READY in states
    assert AgentState.ON_CALL in states
    kit.close()
