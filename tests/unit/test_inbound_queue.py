"""The inbound queue on a node next to an outbound campaign: hotline seats first, then overflow
agents reserved from the campaign (its pacing sees them leave before they are taken), back after wrap-up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dialer_harness import T0, Harness, customer_originates, ny_leads, of_type

from orchestrator.commands import (
    AnnouncePosition,
    Bridge,
    Endpoint,
    EndpointKind,
    Originate,
    Redirect,
    StartRecording,
)
from orchestrator.dialer import routes
from orchestrator.dialer.inputs import AgentLogin, Disposition
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    Answered,
    CallArrived,
    DialplanSignal,
    HungUp,
    PbxConnected,
)
from orchestrator.inbound import hold, ivr
from orchestrator.inbound.queue import (
    CallerAbandoned,
    CallerAnswered,
    CallerLeft,
    CallerMoved,
    CallerQueued,
    CallerSentOn,
    InboundQueue,
    MaxWait,
    OverflowReserved,
    QueueConfig,
)
from orchestrator.node.unit import UnitKey, UnitKind

HOTLINE = "400"
Q = UnitKey(UnitKind.QUEUE, 1)
CAMPAIGN = UnitKey(UnitKind.CAMPAIGN, 7)


class Node(Harness):
    """Campaign 7 (progressive) and queue 1 on one node; agents 1 and 2 overflow, 10 and 11 hotline seats."""

    def __init__(self, hotline: tuple[int, ...] = (10,), **queue) -> None:
        super().__init__(leads=ny_leads(20), amd=False, record_calls=False)
        config = QueueConfig(1, frozenset({HOTLINE}), hotline=frozenset(hotline), overflow=frozenset({1, 2}),
                             overflow_after_s=10.0, max_wait_s=60.0, wrap_up_s=15.0, **queue)
        self.queue = InboundQueue(config, self.host.pool, ids=lambda: f"q{next(self._n)}")
        self.host.add(self.queue)
        self.legs: dict[int, str] = {}
        self.calls = 0

    _n = iter(range(1, 10_000))

    def join(self, agent_id: int, at: float) -> str:
        campaign, queues = (None, (1,)) if agent_id >= 10 else (7, (1,))
        phone = Endpoint(EndpointKind.SEAT, f"seat{agent_id}")
        step = self.feed(AgentLogin(at, campaign, agent_id, phone, queues=queues))
        (leg,) = [c for c in of_type(step.commands, Originate) if c.endpoint.kind is EndpointKind.SEAT]
        self.feed(Answered(at, leg.channel_id, leg.attempt_id))
        self.legs[agent_id] = leg.channel_id
        return leg.channel_id

    def call_in(self, at: float) -> tuple[str, object]:
        self.calls += 1
        channel = f"in{self.calls}"
        return channel, self.feed(CallArrived(at, channel, call_id=channel, caller_number="2125550100",
                                              dialed_number=HOTLINE))

    def unit_of(self, agent_id: int) -> UnitKey | None:
        agent = self.host.pool.get(agent_id)
        return agent.unit if agent is not None else None

    def leaving_at(self, agent_id: int, now: float) -> float | None:
        views = {v.agent_id: v for v in self.dialer.pacing_state(now).agents}
        return views[agent_id].leaving_at


def test_a_caller_gets_the_hotline_seat_ready_longest():
    node = Node(hotline=(10, 11))
    node.join(11, T0)
    node.join(10, T0 + 5)
    channel, step = node.call_in(T0 + 20)
    assert Bridge(channel, node.legs[11]) in step.commands
    assert CallerAnswered(T0 + 20, 1, channel, 11, 0.0, False) in step.facts
    assert not of_type(step.facts, OverflowReserved)


def test_with_the_hotline_busy_an_overflow_agent_is_reserved_before_taken_and_returned_after_wrap_up():
    node = Node()
    node.join(10, T0)
    leg1 = node.join(1, T0)
    node.call_in(T0 + 1)  # the hotline seat is busy from now on
    node.tick(T0 + 1)
    (line,) = customer_originates(node.commands)  # the campaign dials for its ready agent
    node.feed(HungUp(T0 + 2, line.channel_id, line.attempt_id, cause=17))  # busy: agent 1 stays ready
    channel, step = node.call_in(T0 + 3)
    assert CallerQueued(T0 + 3, 1, channel, "2125550100", 1, HOTLINE) in step.facts
    assert OverflowReserved(T0 + 3, 1, 1, T0 + 13) in step.facts
    # The campaign's pacing sees agent 1 leave at the overflow time, and dials nothing for them.
    assert node.leaving_at(1, T0 + 4) == T0 + 13
    assert not customer_originates(node.tick(T0 + 4).commands)
    assert node.unit_of(1) == CAMPAIGN
    # The wait is due: the idle agent is pulled into the queue and the caller bridged to them.
    step = node.tick(T0 + 13)
    assert node.unit_of(1) == Q
    assert Bridge(channel, leg1) in step.commands
    assert CallerAnswered(T0 + 13, 1, channel, 1, 10.0, True) in step.facts
    node.feed(HungUp(T0 + 100, channel))
    node.tick(T0 + 110)
    assert node.unit_of(1) == Q  # wrapping up the inbound call
    node.tick(T0 + 115)
    assert node.unit_of(1) == CAMPAIGN
    assert node.host.pool.get(1).state is AgentState.READY
    assert node.leaving_at(1, T0 + 115) is None
    assert customer_originates(node.tick(T0 + 116).commands)  # dialing for them again


def test_the_hotline_seat_freed_before_the_overflow_wait_takes_the_caller_and_the_reservation_ends():
    node = Node()
    node.join(10, T0)
    node.join(1, T0)
    first, _ = node.call_in(T0 + 1)
    second, _ = node.call_in(T0 + 2)
    assert node.leaving_at(1, T0 + 2) == T0 + 12
    node.feed(HungUp(T0 + 5, first))
    step = node.feed(AgentStateChanged(T0 + 6, 10, AgentState.READY))  # wrap-up ended early
    assert Bridge(second, node.legs[10]) in step.commands
    assert node.leaving_at(1, T0 + 6) is None
    assert node.unit_of(1) == CAMPAIGN


def test_an_overflow_agent_on_a_campaign_call_comes_to_the_queue_when_that_call_is_over():
    node = Node()
    node.join(10, T0)
    leg1 = node.join(1, T0)
    node.call_in(T0 + 1)
    node.tick(T0 + 1)
    (line,) = customer_originates(node.commands)
    node.feed(Answered(T0 + 2, line.channel_id, line.attempt_id))  # agent 1 talks for the campaign
    channel, step = node.call_in(T0 + 3)
    assert OverflowReserved(T0 + 3, 1, 1, T0 + 13) in step.facts
    node.tick(T0 + 20)
    node.feed(HungUp(T0 + 30, line.channel_id, line.attempt_id))
    assert node.unit_of(1) == CAMPAIGN  # wrapping up
    step = node.feed(Disposition(T0 + 31, 7, 1, line.attempt_id, "sale"))
    assert node.unit_of(1) == Q
    assert Bridge(channel, leg1) in step.commands
    assert CallerAnswered(T0 + 31, 1, channel, 1, 28.0, True) in step.facts


def test_without_a_hotline_seat_logged_in_the_caller_overflows_at_once():
    node = Node()
    leg2 = node.join(2, T0)
    channel, step = node.call_in(T0 + 1)
    assert node.unit_of(2) == Q
    assert Bridge(channel, leg2) in step.commands


@pytest.mark.parametrize(("action", "route"), [(MaxWait.VOICEMAIL, "sb-queue-voicemail"),
                                                (MaxWait.CALLBACK, "sb-queue-callback")])
def test_a_caller_waiting_too_long_goes_to_voicemail_or_a_callback(action, route):
    node = Node(on_max_wait=action)
    node.join(10, T0)
    node.call_in(T0)
    channel, _ = node.call_in(T0 + 1)  # nobody to overflow to
    assert node.queue.next_wakeup() == T0 + 11
    step = node.tick(T0 + 61)
    assert Redirect(channel, route) in step.commands
    message = f"voicemail/1/{channel}.wav" if action is MaxWait.VOICEMAIL else ""  # the message, recorded
    assert [c for c in step.commands if isinstance(c, StartRecording)] == (
        [StartRecording(channel, message)] if message else [])
    assert CallerSentOn(T0 + 61, 1, channel, 60.0, action, message) in step.facts
    assert node.queue.position(channel) is None
    step = node.feed(HungUp(T0 + 81, channel))  # the caller hangs up after their message
    assert CallerLeft(T0 + 81, 1, channel, 20.0) in step.facts


def test_callers_keep_their_place_and_one_hanging_up_is_an_abandon():
    node = Node()
    node.join(10, T0)
    node.call_in(T0)
    second, _ = node.call_in(T0 + 1)
    third, _ = node.call_in(T0 + 2)
    assert (node.queue.position(second), node.queue.position(third)) == (1, 2)
    step = node.feed(HungUp(T0 + 5, second))
    assert CallerAbandoned(T0 + 5, 1, second, 4.0) in step.facts
    assert CallerMoved(T0 + 5, 1, third, 1) in step.facts
    assert node.queue.position(third) == 1


def test_waiting_callers_hear_their_position_as_it_is_every_announce_interval():
    """Each caller on their own clock from their arrival; the position said is the one at that moment
    (the caller ahead hung up: the second is told 1); a bridged caller is told nothing more."""
    node = Node(announce_every_s=20.0)
    node.join(10, T0)
    first, _ = node.call_in(T0)  # to the hotline seat at once: never announced
    second, _ = node.call_in(T0 + 1)
    third, _ = node.call_in(T0 + 5)
    assert node.queue.next_wakeup() == T0 + 11  # the overflow times come first
    node.tick(T0 + 11)
    node.tick(T0 + 15)
    assert node.queue.next_wakeup() == T0 + 21
    step = node.tick(T0 + 21)
    assert of_type(step.commands, AnnouncePosition) == [AnnouncePosition(second, "sb-queue-announce", 1)]
    step = node.tick(T0 + 25)
    assert of_type(step.commands, AnnouncePosition) == [AnnouncePosition(third, "sb-queue-announce", 2)]
    node.feed(HungUp(T0 + 30, second))
    assert not of_type(node.tick(T0 + 41).commands, AnnouncePosition)
    step = node.tick(T0 + 45)
    assert of_type(step.commands, AnnouncePosition) == [AnnouncePosition(third, "sb-queue-announce", 1)]
    assert first not in {c.channel_id for c in of_type(node.commands, AnnouncePosition)}


def test_a_waiting_caller_hears_an_estimated_wait_from_the_recent_calls_and_the_agents_serving():
    """One seat serving; the one call it answered took 100 s of talk + 15 s of wrap-up: the caller next
    in line waits about 115 s (2 minutes, rounded up), the one behind them 230 s (4 minutes). Before
    any call ended there was no basis: the position alone."""
    node = Node(announce_every_s=20.0)
    node.join(10, T0)
    first, _ = node.call_in(T0)  # the seat answers
    waiting, _ = node.call_in(T0 + 1)
    step = node.tick(T0 + 21)
    assert of_type(step.commands, AnnouncePosition) == [AnnouncePosition(waiting, "sb-queue-announce", 1)]
    node.feed(HungUp(T0 + 22, waiting))
    node.feed(HungUp(T0 + 100, first))
    node.tick(T0 + 115)  # the wrap-up over: the seat is ready
    node.call_in(T0 + 120)  # answered at once: the seat is busy again
    second, _ = node.call_in(T0 + 121)
    third, _ = node.call_in(T0 + 122)
    assert of_type(node.tick(T0 + 141).commands, AnnouncePosition) == [
        AnnouncePosition(second, "sb-queue-announce", 1, wait_min=2)]
    assert of_type(node.tick(T0 + 142).commands, AnnouncePosition) == [
        AnnouncePosition(third, "sb-queue-announce", 2, wait_min=4)]
    assert node.queue.estimated_wait_min(2) == 4


def test_a_route_that_says_no_wait_says_the_position_alone():
    node = Node(announce_every_s=20.0, announce_wait=False)
    node.queue.handle_times.add(120.0)  # a basis, not wanted
    node.join(10, T0)
    node.call_in(T0)
    waiting, _ = node.call_in(T0 + 1)
    assert of_type(node.tick(T0 + 21).commands, AnnouncePosition) == [
        AnnouncePosition(waiting, "sb-queue-announce", 1)]


def test_with_no_agent_serving_the_queue_no_wait_is_said():
    """No seat logged in, no overflow agent: nobody to wait for, so no estimate (not 'about 0')."""
    node = Node(announce_every_s=20.0)
    node.queue.handle_times.add(120.0)
    waiting, _ = node.call_in(T0)
    assert of_type(node.tick(T0 + 20).commands, AnnouncePosition) == [
        AnnouncePosition(waiting, "sb-queue-announce", 1)]
    assert node.queue.estimated_wait_min(1) is None


def test_without_an_announce_interval_nobody_is_told_a_position():
    node = Node()
    node.join(10, T0)
    node.call_in(T0)
    node.call_in(T0 + 1)
    assert node.queue.next_wakeup() == T0 + 11
    assert not of_type(node.tick(T0 + 59).commands, AnnouncePosition)


def test_a_call_to_another_number_is_not_the_queues():
    node = Node()
    node.join(10, T0)
    step = node.feed(CallArrived(T0, "x1", call_id="x1", dialed_number="401"))
    assert not step.commands
    assert not step.facts


def test_a_queue_config_refuses_an_agent_in_both_roles_and_a_wait_past_the_longest():
    with pytest.raises(ValueError, match="not both"):
        QueueConfig(1, frozenset({HOTLINE}), hotline=frozenset({1}), overflow=frozenset({1}))
    with pytest.raises(ValueError, match="overflow_after_s"):
        QueueConfig(1, frozenset({HOTLINE}), overflow_after_s=60.0, max_wait_s=30.0)


def test_a_standby_is_reserved_with_notice_while_the_hotline_is_busy_and_answers_the_next_caller_at_once():
    node = Node(standby=1, standby_notice_s=20.0)
    node.join(10, T0)
    leg1 = node.join(1, T0)
    node.tick(T0 + 1)
    (line,) = customer_originates(node.commands)
    node.feed(HungUp(T0 + 2, line.channel_id, line.attempt_id, cause=17))
    first, step = node.call_in(T0 + 3)  # the hotline seat takes it: nobody free there any more
    assert OverflowReserved(T0 + 3, 1, 1, T0 + 23) in step.facts
    assert node.leaving_at(1, T0 + 4) == T0 + 23
    assert not customer_originates(node.tick(T0 + 10).commands)
    node.tick(T0 + 23)
    assert node.unit_of(1) == Q  # idle in the queue, at hand
    second, step = node.call_in(T0 + 30)
    assert Bridge(second, leg1) in step.commands
    assert CallerAnswered(T0 + 30, 1, second, 1, 0.0, True) in step.facts
    node.feed(HungUp(T0 + 40, second))
    node.feed(HungUp(T0 + 41, first))
    node.feed(AgentStateChanged(T0 + 42, 10, AgentState.READY))  # the hotline seat is free again
    node.tick(T0 + 55)  # agent 1's wrap-up is over: back to the campaign
    assert node.unit_of(1) == CAMPAIGN
    assert node.leaving_at(1, T0 + 55) is None


def test_a_caller_an_ivr_key_sends_to_the_hotline_is_queued_and_answered_like_one_who_dialed_it():
    """The IVR runs on the PBX; its ``ivr_route`` signal names the route's DID (another DID: not ours)."""
    node = Node()
    seat = node.join(10, T0)
    other = node.feed(DialplanSignal(T0 + 1, "ivr1", name=ivr.SIGNAL_ROUTE, call_id="ivr1",
                                     fields=(("Called", "401"), ("Caller", "2125550199"), ("Menu", "3"))))
    assert not other.facts
    step = node.feed(DialplanSignal(T0 + 2, "ivr1", name=ivr.SIGNAL_ROUTE, call_id="ivr1",
                                    fields=(("Called", HOTLINE), ("Caller", "2125550199"), ("Menu", "3"))))
    assert CallerQueued(T0 + 2, 1, "ivr1", "2125550199", 1, HOTLINE) in step.facts
    assert Bridge("ivr1", seat) in step.commands


def test_an_ivr_callback_request_and_a_busy_caller_are_facts_other_signals_are_not():
    asked = DialplanSignal(T0, "ch1", name=ivr.SIGNAL_CALLBACK, call_id="call1",
                           fields=(("Called", "14005550420"), ("Caller", "2125550100"), ("Menu", "3")))
    busy = DialplanSignal(T0, "ch2", name=ivr.SIGNAL_BUSY,
                          fields=(("called", "14005550420"), ("caller", "2125550101"), ("menu", "x; drop")))
    assert ivr.facts(asked) == (ivr.IvrCallbackAsked(T0, 3, "call1", "2125550100", "14005550420"),)
    assert ivr.facts(busy) == (ivr.IvrBusy(T0, 0, "2125550101", "14005550420"),)  # a menu that is none
    assert ivr.facts(DialplanSignal(T0, "ch3", name=ivr.SIGNAL_ROUTE)) is None
    assert ivr.facts(HungUp(T0, "ch1")) is None


def test_on_a_holiday_a_caller_hears_the_closed_message_whatever_the_hours():
    """Holidays are the route's local dates: 1 October in Shanghai begins at 16:00 UTC on 30 September."""
    eve = datetime(2026, 9, 30, 15, 59, tzinfo=UTC).timestamp()  # 23:59 in Shanghai
    node = Node(timezone="Asia/Shanghai", holidays=frozenset({date(2026, 10, 1)}))
    node.join(10, eve - 60)
    closed = node.queue.config.closed_route
    for at, channel, is_closed in ((eve, "e1", False), (eve + 120, "h1", True)):
        step = node.feed(CallArrived(at, channel, call_id=channel, dialed_number=HOTLINE))
        assert (Redirect(channel, closed) in step.commands) is is_closed, step.commands
    assert node.queue.config.is_open(eve)
    assert not node.queue.config.is_open(eve + 120)


WAIT = "sb-queue-wait"


def _queued(at: float, channel: str) -> DialplanSignal:
    """``sb-queue-wait`` reports the caller there (answered, on hold)."""
    return DialplanSignal(at, channel, name=hold.SIGNAL, call_id=channel, fields=(("Caller", "2125550100"),))


def test_a_caller_moved_to_the_wait_route_is_bridged_once_there_with_the_wait_from_the_arrival():
    """The move and the bridge are not sent together (the bridge raced the transfer): with the seat
    free the caller is moved, and bridged when the wait route reports them; speed of answer counts
    from the arrival, the move included."""
    node = Node(wait_route=WAIT)
    seat = node.join(10, T0)
    channel, step = node.call_in(T0 + 1)
    assert Redirect(channel, WAIT) in step.commands
    assert not of_type(step.commands, Bridge)
    assert not of_type(step.facts, CallerAnswered)
    assert not of_type(node.feed(_queued(T0 + 1.2, "someone-else")).commands, Bridge)
    step = node.feed(_queued(T0 + 1.25, channel))
    assert of_type(step.commands, Bridge) == [Bridge(channel, seat)]
    assert CallerAnswered(T0 + 1.25, 1, channel, 10, 0.25, False) in step.facts
    assert not of_type(node.feed(_queued(T0 + 9, channel)).commands, Bridge)  # reported once is enough


def test_a_caller_an_ivr_key_sends_on_is_moved_then_bridged_from_the_wait_route_without_a_second_answer():
    """An IVR caller is answered already (no ``Answered`` comes again): the wait route's report is
    what the queue waits for, as for a caller from the trunk."""
    node = Node(wait_route=WAIT)
    seat = node.join(10, T0)
    step = node.feed(DialplanSignal(T0 + 2, "ivr1", name=ivr.SIGNAL_ROUTE, call_id="ivr1",
                                    fields=(("Called", HOTLINE), ("Caller", "2125550199"), ("Menu", "3"))))
    assert Redirect("ivr1", WAIT) in step.commands
    assert not of_type(step.commands, Bridge)
    step = node.feed(_queued(T0 + 2.1, "ivr1"))
    assert of_type(step.commands, Bridge) == [Bridge("ivr1", seat)]


def test_an_overflow_agent_pulled_for_a_caller_on_the_move_waits_for_them_in_the_queue():
    """No hotline seat logged in: the designated agent is taken at once and kept idle in the queue
    until the caller is in the wait route, then bridged."""
    node = Node(wait_route=WAIT)
    leg2 = node.join(2, T0)
    channel, step = node.call_in(T0 + 1)
    assert not of_type(step.commands, Bridge)
    assert node.unit_of(2) == Q
    node.tick(T0 + 1.1)
    assert node.unit_of(2) == Q
    step = node.feed(_queued(T0 + 1.3, channel))
    assert Bridge(channel, leg2) in step.commands
    assert CallerAnswered(T0 + 1.3, 1, channel, 2, pytest.approx(0.3), True) in step.facts


def test_after_a_reconnect_callers_still_on_the_line_are_bridged_though_their_report_was_lost():
    node = Node(wait_route=WAIT)
    seat = node.join(10, T0)
    gone, _ = node.call_in(T0 + 1)
    channel, _ = node.call_in(T0 + 1)
    step = node.feed(PbxConnected(T0 + 3, "pbx", live_channel_ids=frozenset({channel, seat})))
    assert of_type(step.commands, Bridge) == [Bridge(channel, seat)]
    assert node.queue.position(gone) == 1  # still waiting, until its hang-up is known


def test_a_remote_hotline_seat_answers_callers_only_once_its_phone_pressed_1():
    node = Node()
    mobile = Endpoint(EndpointKind.TRUNK, "carrier", "+12015199010")
    step = node.feed(AgentLogin(T0, None, 10, mobile, queues=(1,), confirm=True))
    (leg,) = of_type(step.commands, Originate)
    node.feed(Answered(T0 + 1, leg.channel_id, leg.attempt_id))
    channel, step = node.call_in(T0 + 2)
    assert not of_type(step.commands, Bridge)  # answered, no 1 yet: the caller waits
    step = node.feed(DialplanSignal(T0 + 3, leg.channel_id, leg.attempt_id, name=routes.SIGNAL_CONFIRMED))
    assert Bridge(channel, leg.channel_id) in step.commands
