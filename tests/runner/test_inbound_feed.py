"""The runner hosting the hotline's queue, without a PBX: inbound routes in, calls rows and commands out.

The live test (tests/integration/test_hotline_live.py) does the same on both real
PBXes; here every outcome of a caller (answered, overflow, abandoned, closed)
is checked row by row on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lab import demo
from orchestrator import commands as c
from orchestrator.dialer import routes
from orchestrator.events import Answered, CallArrived, DialplanSignal, HungUp, PbxConnected, Tick
from orchestrator.inbound import hold
from runner.ami_runner import AmiRunner, load_node
from store import desk_queue
from store import models as m
from store.enums import AgentState, CampaignMode, DeskCommand, InboundTarget, QueueOutcome
from store.leads import open_attempts
from store.types import utcnow
from tests.db.builders import TEST_SEALER
from tests.runner.test_feed import drain
from web.campaigns.progress import progress

NODE = demo.NodeSpec("pbx-inbound", "127.0.0.1", 1, "user", "secret")
DID = "14005550400"


@pytest.fixture
def hotline(sessions):
    """Agent 1 the hotline seat (no campaign), agent 2 a designated outbound agent of a campaign."""
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, NODE)
        seat, designated = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "seat-secret-1"),
                                                                      ("agent002", "seat-secret-2")])
        campaign = demo.create_campaign(s, "outbound", CampaignMode.PROGRESSIVE, [])
        trunk = m.Trunk(name="carrier", managed=False, dids=[DID], nodes=[node])
        s.add(trunk)
        s.flush()
        route = m.InboundRoute(name="400", did=DID, trunk_id=trunk.id, hotline_agent_ids=[seat.id],
                               overflow_agent_ids=[designated.id], overflow_after_s=5, max_wait_s=30)
        s.add(route)
        for agent, campaign_id in ((seat, None), (designated, campaign.id)):
            desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=node.id,
                                                campaign_id=campaign_id, agent_id=agent.id))
        s.flush()
        return route.id, seat.id, designated.id


def started(sessions) -> tuple[AmiRunner, dict[str, str]]:
    """A runner with both agents' legs up; their legs by seat."""
    with sessions() as s:
        runner = AmiRunner(sessions, load_node(s, NODE.name, TEST_SEALER))
    runner.recover()
    runner.feed(PbxConnected(time.time(), NODE.name))
    assert runner.poll_commands() == 2
    legs = {}
    for leg in drain(runner):
        assert isinstance(leg, c.Originate)
        runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
        legs[leg.endpoint.name] = leg.channel_id
    drain(runner)
    return runner, legs


def arrive(runner: AmiRunner, channel: str, caller: str, at: float | None = None) -> list[c.Command]:
    """The caller arrives; moved to the wait route, they are reported there as the PBX's route does
    (the queue bridges them only then): the commands of both."""
    at = at or time.time()
    runner.feed(CallArrived(at, channel, call_id=channel, caller_number=caller, dialed_number=DID,
                            endpoint="carrier"))
    commands = drain(runner)
    if c.Redirect(channel, routes.QUEUE_WAIT) in commands:
        runner.feed(DialplanSignal(at + 0.01, channel, name=hold.SIGNAL, call_id=channel))
        commands += drain(runner)
    return commands


def call_of(sessions, caller: str) -> m.Call:
    with sessions() as s:
        return s.scalar(select(m.Call).where(m.Call.caller == caller))


def test_the_seat_answers_the_next_caller_overflows_and_both_are_in_the_calls(sessions, hotline):
    route_id, seat, designated = hotline
    runner, legs = started(sessions)
    with sessions() as s:
        assert s.get(m.Agent, seat).state is AgentState.READY
        assert s.get(m.Agent, designated).state is AgentState.READY
    first = arrive(runner, "in-1", "12125550141")
    assert first[0] == c.Redirect("in-1", routes.QUEUE_WAIT)
    assert c.Bridge("in-1", legs["agent001"]) in first
    assert c.StartRecording("in-1", f"inbound/{route_id}/in-1.wav") in first
    now = time.time()
    assert not [x for x in arrive(runner, "in-2", "12125550142", at=now) if isinstance(x, c.Bridge)]
    runner.feed(Tick(now + 6))  # the seat is busy past overflow_after_s: his campaign gives the agent up
    assert c.Bridge("in-2", legs["agent002"]) in drain(runner)
    runner.feed(HungUp(time.time(), "in-1", cause=16))
    runner.feed(HungUp(time.time(), "in-2", cause=16))
    one, two = call_of(sessions, "12125550141"), call_of(sessions, "12125550142")
    assert (one.callee, one.agent_id, one.route_id) == (DID, seat, route_id)
    assert one.queue_outcome is QueueOutcome.ANSWERED
    assert (two.agent_id, two.queue_outcome) == (designated, QueueOutcome.OVERFLOW)
    assert one.ended_at is not None
    assert two.ended_at is not None
    with sessions() as s:
        recording = s.scalar(select(m.Recording).where(m.Recording.call_id == one.id))
        assert recording.path == f"inbound/{route_id}/in-1.wav"
        assert recording.ended_at is not None


def test_an_answered_call_is_an_attempt_of_the_routes_campaign_but_no_dial_of_it(sessions, hotline):
    """The outbound campaign running next to the hotline takes its calls: the answered caller is an
    attempt of it, on the node, which a restarted runner does not take for a call it dialed (nor does
    the campaign's progress count it as a dial); the attempt ends with the call."""
    route_id, seat, _ = hotline
    with sessions.begin() as s:
        route = s.get(m.InboundRoute, route_id)
        route.campaign_id = s.scalar(select(m.Campaign.id))
        node_id = route.trunk.nodes[0].id
    runner, legs = started(sessions)
    assert c.Bridge("in-1", legs["agent001"]) in arrive(runner, "in-1", "12125550141")
    with sessions() as s:
        attempt = s.get(m.Attempt, call_of(sessions, "12125550141").attempt_id)
        assert (attempt.agent_id, attempt.node_id, attempt.lead.phone) == (seat, node_id, "+12125550141")
        assert attempt.bridged_at is not None
        assert attempt.ended_at is None
        assert open_attempts(s, node_id) == []
        assert progress(s, s.get(m.Campaign, attempt.campaign_id), utcnow()).dials == 0
    runner.feed(HungUp(time.time(), "in-1", cause=16))
    with sessions() as s:
        assert s.get(m.Attempt, attempt.id).ended_at is not None


def test_a_caller_who_hangs_up_waiting_is_an_abandon(sessions, hotline):
    runner, _ = started(sessions)
    arrive(runner, "in-1", "12125550141")  # the seat takes it
    runner.feed(HungUp(time.time(), "in-x", cause=16))
    with sessions.begin() as s:  # the designated agent is gone: nobody for the next caller
        route = s.get(m.InboundRoute, hotline[0])
        route.overflow_agent_ids, route.announce_every_s = [], 20
    runner.sync_campaigns()
    now = time.time()
    commands = arrive(runner, "in-2", "12125550142", at=now)
    assert not [x for x in commands if isinstance(x, c.Bridge)]
    runner.feed(Tick(now + 20))  # the route's setting reached the queue: told their place while waiting
    assert c.AnnouncePosition("in-2", routes.QUEUE_ANNOUNCE, 1) in drain(runner)
    runner.feed(HungUp(time.time(), "in-2", cause=16))
    call = call_of(sessions, "12125550142")
    assert call.queue_outcome is QueueOutcome.ABANDONED
    assert call.ended_at is not None
    assert call.answered_at is None


def test_outside_business_hours_the_caller_hears_the_closed_message(sessions, hotline):
    with sessions.begin() as s:
        route = s.get(m.InboundRoute, hotline[0])
        route.hours = {"sun": [["00:00", "00:01"]]}  # practically never open
    runner, _ = started(sessions)
    now = time.time()
    commands = arrive(runner, "in-1", "12125550141", at=now)
    assert commands == [c.Redirect("in-1", routes.QUEUE_CLOSED)]
    call = call_of(sessions, "12125550141")
    assert call.queue_outcome is QueueOutcome.CLOSED
    runner.feed(Tick(time.time()))


def test_on_a_holiday_of_the_route_the_caller_hears_the_closed_message(sessions, hotline):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with sessions.begin() as s:
        route = s.get(m.InboundRoute, hotline[0])
        route.hours, route.timezone = {}, "Asia/Shanghai"  # always open, but for the holidays
        route.holidays = [today.isoformat(), (today + timedelta(days=1)).isoformat()]  # midnight may pass
    runner, _ = started(sessions)
    assert arrive(runner, "in-1", "12125550141", at=time.time()) == [c.Redirect("in-1", routes.QUEUE_CLOSED)]
    assert call_of(sessions, "12125550141").queue_outcome is QueueOutcome.CLOSED


def test_a_seat_route_has_its_one_agent_and_no_overflow(sessions, hotline):
    route_id, seat, _ = hotline
    with sessions.begin() as s:
        route = s.get(m.InboundRoute, route_id)
        route.target = InboundTarget.SEAT
    runner, _ = started(sessions)  # the designated agent logs in to his campaign only
    (queue,) = runner.queues.queues.values()
    assert queue.config.hotline == {seat}
    assert queue.config.overflow == frozenset()


def test_a_restarted_runner_logs_the_hotline_seat_and_the_designated_agent_in_again(sessions, hotline):
    _, seat, designated = hotline
    runner, _ = started(sessions)
    arrive(runner, "in-1", "12125550141")  # the seat answers: its state entry names no campaign
    with sessions() as s:
        runner2 = AmiRunner(sessions, load_node(s, NODE.name, TEST_SEALER))
    runner2.recover()
    runner2.start(PbxConnected(time.time(), NODE.name))
    logins = {o.endpoint.name: o for o in drain(runner2) if isinstance(o, c.Originate)}
    assert set(logins) == {"agent001", "agent002"}
    for leg in logins.values():
        runner2.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    drain(runner2)
    pool = runner2.host.pool
    assert pool.get(seat).serves == {runner2.queues.queues[hotline[0]].key}
    assert len(pool.get(designated).serves) == 2  # their campaign and the queue
    commands = arrive(runner2, "in-2", "12125550142")
    assert c.Bridge("in-2", logins["agent001"].channel_id) in commands
