"""Blind transfer of a customer from one agent to another of the same node (``orchestrator.node.transfer``):
who may be a target, what moves in the pool and the pacers, and that a refusal changes nothing."""

from __future__ import annotations

import pytest
from dialer_harness import T0, customer_originates, of_type
from test_inbound_queue import Node as QueueNode
from test_node_agents import A, B, Node

from orchestrator.commands import Bridge, Redirect
from orchestrator.dialer.facts import (
    AgentStatus,
    AttemptEnded,
    CallTransferred,
    DispositionRecorded,
    TransferRefused,
)
from orchestrator.dialer.inputs import AgentLeaving, Disposition, EndCall, TransferCall
from orchestrator.events import AgentState, AgentStateChanged, Answered, HungUp, Tick
from orchestrator.inbound.queue import CallerEnded
from orchestrator.quality.survey import ROUTE, SurveyConfig, SurveyOffered


def on_call(node: Node, at: float = T0) -> tuple[str, str, str]:
    """Agent 1 (campaign 7) bridged to a customer; agent 2 (campaign 8) ready. (customer, leg 1, leg 2)."""
    leg1 = node.login(1, 7, at)
    steps = node.feed(Tick(at + 1))
    (line,) = customer_originates(steps[A].commands)
    steps = node.feed(Answered(at + 2, line.channel_id, line.attempt_id))
    assert Bridge(line.channel_id, leg1) in steps[A].commands
    leg2 = node.login(2, 8, at + 3)
    return line.channel_id, line.attempt_id, leg2


def test_the_customer_is_bridged_to_the_ready_agent_and_the_first_agent_wraps_up():
    node = Node()
    customer, attempt, leg2 = on_call(node)
    assert node.host.refuse_transfer(TransferCall(T0 + 10, 5, 1, 2)) is None
    steps = node.feed(TransferCall(T0 + 10, 5, 1, 2))
    assert steps[A].commands == (Bridge(customer, leg2),)
    assert CallTransferred(T0 + 10, 5, 1, 2, attempt_id=attempt) in steps[A].facts
    assert AgentStatus(T0 + 10, 2, AgentState.ON_CALL) in steps[A].facts
    assert AgentStatus(T0 + 10, 1, AgentState.WRAP_UP) in steps[A].facts
    # Both are the call's campaign's now: its pacer counts neither as free, campaign 8's no longer has 2.
    assert node.pacer_sees(A, T0 + 10) == {1: (AgentState.WRAP_UP, None), 2: (AgentState.ON_CALL, None)}
    assert node.pacer_sees(B, T0 + 10) == {}
    assert customer_originates(node.feed(Tick(T0 + 11))[A].commands) == []  # nobody free to dial for

    # The receiving agent's disposition is the call's, applied when the call ends.
    node.feed(Disposition(T0 + 20, 7, 2, attempt, "sale"))
    steps = node.feed(HungUp(T0 + 30, customer, attempt))
    ended = of_type(steps[A].facts, AttemptEnded)
    assert [(e.attempt_id, e.talk_s) for e in ended] == [(attempt, 28.0)]  # from the first bridge
    assert DispositionRecorded(T0 + 30, attempt, 2, "sale") in steps[A].facts
    assert node.host.pool.get(1).state is AgentState.WRAP_UP  # their own wrap-up still runs
    # The first agent's "ready" (after their part's form) ends their wrap-up; the target is back on 8.
    node.feed(AgentStateChanged(T0 + 31, 1, AgentState.READY))
    assert node.unit_of(2) == B
    assert node.pacer_sees(B, T0 + 31) == {2: (AgentState.READY, None)}
    assert node.pacer_sees(A, T0 + 31) == {1: (AgentState.READY, None)}


def test_a_target_in_the_same_campaign_takes_the_call_and_stays_there():
    node = Node()
    leg1 = node.login(1, 7, T0)
    steps = node.feed(Tick(T0 + 1))
    (line,) = customer_originates(steps[A].commands)
    node.feed(Answered(T0 + 2, line.channel_id, line.attempt_id))
    assert node.host.pool.get(1).leg == leg1
    leg3 = node.login(3, 7, T0 + 3)
    steps = node.feed(TransferCall(T0 + 4, 9, 1, 3))
    assert Bridge(line.channel_id, leg3) in steps[A].commands
    assert (node.unit_of(3), node.host.pool.get(3).state) == (A, AgentState.ON_CALL)


@pytest.mark.parametrize(("asker", "target", "prepare", "reason"), [
    (1, 2, "pause", "that agent is not ready (they are paused)"),
    (1, 4, "", "that agent is not logged in on the call's node"),
    (1, 1, "", "the call is yours already: choose another agent"),
    (2, 1, "", "you are not on a call"),
    (6, 2, "", "you are not logged in on this node"),
    (1, 2, "leaving", "that agent is about to leave or is reserved for an inbound caller"),
])
def test_a_bad_target_or_a_caller_without_a_call_is_refused_and_nothing_moves(asker, target, prepare, reason):
    node = Node()
    on_call(node)
    if prepare == "pause":
        node.feed(AgentStateChanged(T0 + 4, 2, AgentState.PAUSED, "break"))
    elif prepare == "leaving":
        node.feed(AgentLeaving(T0 + 4, 2, T0 + 600))
    request = TransferCall(T0 + 10, 5, asker, target)
    assert node.host.refuse_transfer(request) == TransferRefused(T0 + 10, 5, reason)
    before = {a.agent_id: (a.unit, a.state) for a in node.host.pool}
    steps = node.feed(request)  # a runner never hands it on, but even so: nothing happens
    assert all(s.commands == () and not of_type(s.facts, CallTransferred) for s in steps.values())
    assert {a.agent_id: (a.unit, a.state) for a in node.host.pool} == before


def test_an_agent_on_a_call_is_no_target():
    node = Node()
    on_call(node)
    steps = node.feed(Tick(T0 + 5))
    (line,) = customer_originates(steps[B].commands)
    node.feed(Answered(T0 + 6, line.channel_id, line.attempt_id))  # agent 2 is on a call of 8 now
    refused = node.host.refuse_transfer(TransferCall(T0 + 10, 5, 1, 2))
    assert refused is not None
    assert refused.reason == "that agent is not ready (they are on call)"


def test_an_inbound_caller_is_handed_to_another_hotline_seat_who_ends_the_call():
    node = QueueNode(hotline=(10, 11))
    node.join(10, T0)
    channel, step = node.call_in(T0 + 1)
    assert Bridge(channel, node.legs[10]) in step.commands
    node.join(11, T0 + 2)
    step = node.feed(TransferCall(T0 + 5, 8, 10, 11))
    assert Bridge(channel, node.legs[11]) in step.commands
    assert CallTransferred(T0 + 5, 8, 10, 11, call_id=channel) in step.facts
    assert node.host.pool.get(10).state is AgentState.WRAP_UP
    step = node.feed(HungUp(T0 + 20, channel))
    assert CallerEnded(T0 + 20, 1, channel, 11, 19.0) in step.facts
    assert node.host.pool.get(11).state is AgentState.WRAP_UP


def test_an_outbound_agent_takes_a_hotline_call_and_goes_back_to_the_campaign_after_it():
    node = QueueNode()
    node.join(10, T0)
    channel, _ = node.call_in(T0 + 1)
    node.join(1, T0 + 2)  # campaign 7 (and the queue's overflow)
    assert node.unit_of(1).id == 7
    step = node.feed(TransferCall(T0 + 3, 8, 10, 1))
    assert Bridge(channel, node.legs[1]) in step.commands
    assert node.unit_of(1).id == 1  # the queue's, for this call
    node.feed(HungUp(T0 + 10, channel))
    node.tick(T0 + 10 + 15)  # the queue's wrap-up is over
    assert (node.unit_of(1).id, node.host.pool.get(1).state) == (7, AgentState.READY)


def test_after_a_transfer_the_survey_follows_the_receiving_agent_ending_the_call():
    node = QueueNode(hotline=(10, 11), survey=SurveyConfig())
    node.join(10, T0)
    channel, _ = node.call_in(T0 + 1)
    node.join(11, T0 + 2)
    node.feed(TransferCall(T0 + 3, 8, 10, 11))
    assert not of_type(node.feed(EndCall(T0 + 4, 10)).facts, SurveyOffered)  # A's call is no longer
    step = node.feed(EndCall(T0 + 9, 11))
    assert SurveyOffered(T0 + 9, channel, channel, 11, queue_id=1) in step.facts
    assert Redirect(channel, ROUTE) in step.commands
