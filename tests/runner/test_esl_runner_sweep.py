"""Which agent legs a (re)starting ESL runner hangs up: the listing parsed, then the shared decision.

The only ``show channels as json`` listing FreeSWITCH gave us (``api_status``)
holds a parked ``null/`` channel; agent legs are that captured row with the
columns an agent leg would have changed (name, dest, context, call_uuid), so
the parsing is checked against the real column set, not against a live
FreeSWITCH agent leg.
"""

from __future__ import annotations

import json

from esl.framing import Framer
from orchestrator.dialer import routes
from orchestrator.store.enums import PbxKind
from switchboard import demo
from switchboard.runner.esl_runner import hold_legs
from switchboard.runner.node import HoldLeg, NodeCore, load_node
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


def test_a_previous_runs_legs_are_hung_up_once_out_of_their_call(sessions):
    with sessions.begin() as s:
        node = demo.ensure_node(s, demo.NodeSpec("fs1", "127.0.0.1", 8021, "", "ClueCon"))
        node.kind = PbxKind.FREESWITCH
        demo.ensure_agents(s, node, [("agent001", "x"), ("agent002", "y")])
    with sessions() as s:
        core = NodeCore(sessions, load_node(s, "fs1"))
    core.recover()
    mine, busy, foreign = HoldLeg(A, "agent001", False), HoldLeg(B, "agent002", True), HoldLeg(D, "x", False)
    assert core.stale_legs([mine, busy, foreign], first=True) == [A]  # not ours: another node's seat
    assert core.stale_legs([busy]) == []  # still in its call
    assert core.stale_legs([HoldLeg(B, "agent002", False)]) == [B]
    assert core.stale_legs([HoldLeg(B, "agent002", False)]) == []  # once
