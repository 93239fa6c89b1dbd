"""Which agent legs a (re)starting ESL runner hangs up: the listing parsed, then the shared decision
(and, for a remote seat's trunk-dialed leg, the AMI runner's listing too).

The only ``show channels as json`` listing FreeSWITCH gave us (``api_status``)
holds a parked ``null/`` channel; agent legs are that captured row with the
columns an agent leg would have changed (name, dest, context, call_uuid), so
the parsing is checked against the real column set, not against a live
FreeSWITCH agent leg.
"""

from __future__ import annotations

import json
import time

from esl.framing import Framer
from lab import demo
from orchestrator.dialer import routes
from orchestrator.events import PbxConnected
from runner.ami_runner import hold_legs as ami_hold_legs
from runner.esl_runner import hold_legs
from runner.node import HoldLeg, NodeCore, load_node, runner_identity
from store.enums import PbxKind
from tests.db.builders import TEST_SEALER
from tests.esl.fake_server import resync_answer

A, B, C, D = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abcd")


def captured_listing() -> str:
    (frame,) = Framer().feed(resync_answer(rows=True)["api show channels as json"])
    return frame.text()


def agent_leg(row: dict, uuid: str, seat: str) -> dict:
    return {**row, "uuid": uuid, "call_uuid": uuid, "name": f"sofia/internal/sip:{seat}@127.0.0.5",
            "dest": routes.AGENT_HOLD, "context": "switchboard", "direction": "outbound"}


def listing(*rows: dict) -> str:
    return json.dumps({"row_count": len(rows), "rows": list(rows)})


def test_the_captured_parked_channel_is_no_agent_leg():
    assert hold_legs(captured_listing(), "switchboard") == []
    assert hold_legs('{"row_count": 0}\n', "switchboard") == []


def test_agent_legs_are_outbound_channels_in_the_hold_route_and_bridged_ones_are_marked():
    (row,) = json.loads(captured_listing())["rows"]
    customer = {**row, "uuid": C, "call_uuid": B}  # bridged to B: FreeSWITCH links the pair by call_uuid
    inbound = {**agent_leg(row, D, "agent003"), "direction": "inbound"}
    text = listing(row, agent_leg(row, A, "agent001"), agent_leg(row, B, "agent002"), customer, inbound)
    assert hold_legs(text, "switchboard") == [HoldLeg(A, "agent001", False), HoldLeg(B, "agent002", True)]
    assert hold_legs(text, "other-context") == []


def test_a_parked_leg_naming_its_last_partner_is_not_in_a_call():
    """After ``uuid_bridge`` ends FreeSWITCH keeps the last partner in a parked leg's ``call_uuid``."""
    (row,) = json.loads(captured_listing())["rows"]
    gone = "e0000000-0000-4000-8000-000000000000"
    parked = {**agent_leg(row, A, "agent001"), "call_uuid": gone}
    assert hold_legs(listing(row, parked), "switchboard") == [HoldLeg(A, "agent001", False)]


def test_a_remote_seats_leg_dialed_through_a_trunk_is_an_agent_leg_on_both_pbxes():
    """Found by its route (and then by its mark) like a seat's leg: the sweeps need nothing else."""
    (row,) = json.loads(captured_listing())["rows"]
    remote = {**agent_leg(row, A, "x"), "name": "sofia/gateway/world/+12015199000"}
    assert hold_legs(listing(remote), "switchboard") == [HoldLeg(A, "+12015199000", False)]
    entry = {"Event": "CoreShowChannel", "Context": routes.AGENT_HOLD, "Channel": "PJSIP/world-0000002a",
             "Uniqueid": A, "BridgeId": ""}
    assert ami_hold_legs([entry], {"PJSIP/world-0000002a": "run-7"}) == [HoldLeg(A, "world", False, "run-7")]


def test_a_previous_runs_legs_are_hung_up_once_out_of_their_call(sessions):
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("fs1", "127.0.0.1", 8021, "", "ClueCon"))
        node.kind = PbxKind.FREESWITCH
        agents = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "x"), ("agent002", "y")])
        ours = [f"{runner_identity(sessions, node.id)}-{a.id}" for a in agents]
    with sessions() as s:
        core = NodeCore(sessions, load_node(s, "fs1", TEST_SEALER))
    core.recover()  # nobody logged in: no leg is kept
    mine, busy = HoldLeg(A, "agent001", False, ours[0]), HoldLeg(B, "agent002", True, ours[1])
    unmarked, foreign = HoldLeg(C, "agent001", False), HoldLeg(D, "agent002", False, f"0123456789abcdef-{9}")
    assert core.stale_legs([mine, busy, unmarked, foreign], first=True) == [A]  # only ours
    assert core.stale_legs([busy]) == []  # still in its call
    assert core.stale_legs([HoldLeg(B, "agent002", False, ours[1])]) == [B]
    assert core.stale_legs([HoldLeg(B, "agent002", False, ours[1])]) == []  # once


def test_a_logged_in_agent_keeps_their_leg_in_a_call_and_its_idle_twin_goes(sessions):
    from store import models as m
    from store.enums import AgentState, CampaignMode
    from store.types import utcnow

    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("fs1", "127.0.0.1", 8021, "", "ClueCon"))
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "x")])
        campaign = demo.create_campaign(s, "c", CampaignMode.PROGRESSIVE, [])
        agent.state = AgentState.READY
        s.add(m.AgentStateLog(agent_id=agent.id, state=AgentState.READY, campaign_id=campaign.id,
                              started_at=utcnow()))
        mark = f"{runner_identity(sessions, node.id)}-{agent.id}"
    with sessions() as s:
        core = NodeCore(sessions, load_node(s, "fs1", TEST_SEALER))
    core.recover()
    legs = [HoldLeg(A, "agent001", False, mark), HoldLeg(B, "agent001", True, mark)]
    assert core.stale_legs(legs, first=True) == [A]  # the twin out of any call goes at once
    core.start(PbxConnected(time.time(), "fs1"))  # the agent logs in again: on B, nothing nailed up
    kept = core.slots[campaign.id].dialer.agents.agents[agent.id]
    assert (kept.leg, kept.leg_up, kept.state) == (B, True, AgentState.READY)
