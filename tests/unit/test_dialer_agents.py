"""Agent states in the dialer: nailed-up legs, ready/pause/log-out, wrap-up, longest-idle selection."""

from dialer_harness import T0, BrakedRatio, Harness, customer_originates, ny_leads, of_type

from orchestrator.commands import Bridge, Endpoint, EndpointKind, Hangup, Originate
from orchestrator.dialer import DialMode
from orchestrator.dialer.facts import AgentStatus, AttemptEnded
from orchestrator.dialer.inputs import AgentLeaving, AgentLogin, Disposition
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdResult,
    AmdVerdict,
    Answered,
    HungUp,
    OriginateFailed,
)
from orchestrator.leads.outcomes import Outcome


def connect_human(h: Harness, at: float):
    """Dial one line, answer it as a human; returns the customer's Originate."""
    (o,) = customer_originates(h.tick(at).commands)
    h.feed(Answered(at + 3, o.channel_id, o.attempt_id))
    h.feed(AmdResult(at + 5, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    return o


def states(h: Harness) -> dict[int, tuple[AgentState, str]]:
    return {a.agent_id: (a.state, a.reason) for a in h.dialer.agents.agents.values()}


def test_login_nails_up_a_leg_and_the_agent_is_ready_once_it_answers():
    h = Harness()
    step = h.feed(AgentLogin(T0, 7, 1, Endpoint(EndpointKind.SEAT, "seat1")))
    (leg,) = step.commands
    assert isinstance(leg, Originate)
    assert (leg.endpoint.kind, leg.endpoint.name, leg.route) == (EndpointKind.SEAT, "seat1", "sb-agent-hold")
    assert leg.variables == {"sb_campaign_id": "7", "sb_agent_id": "1"}
    assert step.facts == (AgentStatus(T0, 1, AgentState.PAUSED, "connecting"),)
    assert not customer_originates(h.tick(T0 + 1).commands)  # not ready before the phone answers
    step = h.feed(Answered(T0 + 2, leg.channel_id, leg.attempt_id))
    assert step.facts == (AgentStatus(T0 + 2, 1, AgentState.READY),)


def test_a_remote_seat_login_dials_the_agents_phone_through_the_trunk_into_the_hold_route():
    """Everything after the dial (bridging, recovery by the leg's mark) is a SIP seat's: same route."""
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    phone = Endpoint(EndpointKind.TRUNK, "world", "+12015199000")
    (leg,) = h.feed(AgentLogin(T0, 7, 1, phone)).commands
    assert isinstance(leg, Originate)
    assert (leg.endpoint, leg.route) == (phone, "sb-agent-hold")
    assert leg.variables == {"sb_campaign_id": "7", "sb_agent_id": "1"}
    h.feed(Answered(T0 + 2, leg.channel_id, leg.attempt_id))
    (customer,) = customer_originates(h.tick(T0 + 3).commands)
    h.feed(Answered(T0 + 5, customer.channel_id, customer.attempt_id))
    step = h.feed(AmdResult(T0 + 7, customer.channel_id, customer.attempt_id, AmdVerdict.HUMAN))
    assert Bridge(customer.channel_id, leg.channel_id) in step.commands


def test_inputs_for_other_campaigns_and_unknown_channels_are_ignored():
    h = Harness(leads=ny_leads(1))
    assert h.feed(AgentLogin(T0, 8, 1, Endpoint(EndpointKind.SEAT, "seat1"))).commands == ()
    assert h.feed(AgentStateChanged(T0, 99, AgentState.READY)).facts == ()
    assert h.feed(HungUp(T0, "someone-else", "attempt-of-another-campaign")).facts == ()
    assert h.feed(Disposition(T0, 7, 99, "x", "sale")).facts == ()


def test_the_longest_idle_ready_agent_gets_the_customer():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    leg1 = h.login(1, T0)
    leg2 = h.login(2, T0 - 30)  # ready 30 s earlier
    first, second = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 3, first.channel_id, first.attempt_id))
    step = h.feed(AmdResult(T0 + 5, first.channel_id, first.attempt_id, AmdVerdict.HUMAN))
    assert Bridge(first.channel_id, leg2) in step.commands
    h.feed(Answered(T0 + 3, second.channel_id, second.attempt_id))
    step = h.feed(AmdResult(T0 + 6, second.channel_id, second.attempt_id, AmdVerdict.HUMAN))
    assert Bridge(second.channel_id, leg1) in step.commands


def test_pause_during_a_call_applies_after_wrap_up_and_the_wrap_up_timer_ends_it():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2), wrap_up_s=20)
    h.login(1)
    o = connect_human(h, T0 + 1)
    h.feed(AgentStateChanged(T0 + 10, 1, AgentState.PAUSED, "lunch"))
    assert states(h)[1] == (AgentState.ON_CALL, "")
    h.feed(HungUp(T0 + 40, o.channel_id, o.attempt_id))
    assert states(h)[1] == (AgentState.WRAP_UP, "")
    assert h.dialer.next_wakeup() == T0 + 60
    assert h.tick(T0 + 59).facts == ()
    step = h.tick(T0 + 60)
    assert AgentStatus(T0 + 60, 1, AgentState.PAUSED, "lunch") in step.facts
    assert not customer_originates(step.commands)
    assert list(h.dialer.stats.wrap_times) == [20.0]


def test_ready_during_wrap_up_ends_it_early():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2))
    h.login(1)
    o = connect_human(h, T0 + 1)
    h.feed(HungUp(T0 + 40, o.channel_id, o.attempt_id))
    step = h.feed(AgentStateChanged(T0 + 42, 1, AgentState.READY))
    assert AgentStatus(T0 + 42, 1, AgentState.READY) in step.facts
    assert len(customer_originates(h.tick(T0 + 43).commands)) == 1


def test_a_late_disposition_is_still_recorded_once():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2), wrap_up_s=5)
    h.login(1)
    o = connect_human(h, T0 + 1)
    h.feed(HungUp(T0 + 40, o.channel_id, o.attempt_id))
    h.tick(T0 + 45)  # wrap-up timer: ready, and a new line is dialed
    assert states(h)[1] == (AgentState.READY, "")
    step = h.feed(Disposition(T0 + 46, 7, 1, o.attempt_id, "sale", callback_at=T0 + 86400))
    assert len(step.facts) == 2  # the disposition and the callback for this agent
    assert h.feed(Disposition(T0 + 47, 7, 1, o.attempt_id, "sale")).facts == ()


def test_log_out_hangs_up_the_leg_and_is_deferred_during_a_call():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    leg = h.login(1)
    o = connect_human(h, T0 + 1)
    assert h.feed(AgentStateChanged(T0 + 10, 1, AgentState.LOGGED_OUT)).commands == ()
    h.feed(HungUp(T0 + 20, o.channel_id, o.attempt_id))
    step = h.feed(Disposition(T0 + 25, 7, 1, o.attempt_id, "sale"))
    assert Hangup(leg) in step.commands
    assert AgentStatus(T0 + 25, 1, AgentState.LOGGED_OUT) in step.facts
    assert h.dialer.agents.agents == {}


def test_a_dropped_leg_pauses_the_agent_and_ready_nails_up_a_new_one():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    leg = h.login(1)
    step = h.feed(HungUp(T0 + 5, leg, cause=16))
    assert step.facts == (AgentStatus(T0 + 5, 1, AgentState.PAUSED, "phone disconnected"),)
    assert not customer_originates(h.tick(T0 + 6).commands)
    step = h.feed(AgentStateChanged(T0 + 7, 1, AgentState.READY))
    (new_leg,) = of_type(step.commands, Originate)
    assert new_leg.channel_id != leg
    assert new_leg.endpoint.kind is EndpointKind.SEAT
    assert step.facts == (AgentStatus(T0 + 7, 1, AgentState.PAUSED, "connecting"),)
    # An unreachable seat fails once and leaves the agent paused: no originate loop.
    step = h.feed(OriginateFailed(T0 + 30, new_leg.channel_id, new_leg.attempt_id, cause=20))
    assert step.commands == ()
    assert states(h)[1] == (AgentState.PAUSED, "phone disconnected")


def test_agent_hanging_up_mid_call_ends_the_customer_call_and_gets_a_new_leg_after_wrap_up():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), wrap_up_s=10)
    leg = h.login(1)
    o = connect_human(h, T0 + 1)
    step = h.feed(HungUp(T0 + 30, leg))
    assert step.commands == (Hangup(o.channel_id),)
    step = h.feed(HungUp(T0 + 30.1, o.channel_id, o.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.CONNECTED
    step = h.tick(T0 + 40.1)
    (new_leg,) = of_type(step.commands, Originate)
    assert new_leg.endpoint.kind is EndpointKind.SEAT
    assert states(h)[1] == (AgentState.PAUSED, "connecting")


def test_pacing_sees_agents_with_time_in_state():
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(1), policy=BrakedRatio(1.0))
    h.login(1, T0)
    h.login(2, T0, answer=False)
    state = h.dialer.pacing_state(T0 + 10)
    views = {v.agent_id: (v.state, v.seconds_in_state) for v in state.agents}
    assert views == {1: (AgentState.READY, 10.0), 2: (AgentState.PAUSED, 10.0)}


def test_an_announced_departure_stops_the_pacer_counting_on_the_agent_then_pauses_them():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    h.login(1)
    h.login(2)
    h.feed(AgentLeaving(T0, 2, T0 + 600, AgentState.PAUSED, "lunch"))
    views = {v.agent_id: v.leaving_at for v in h.dialer.lines.pacing_state(T0 + 1).agents}
    assert views == {1: None, 2: T0 + 600}
    assert states(h)[2] == (AgentState.READY, "")  # still working until then
    step = h.tick(T0 + 600)
    assert AgentStatus(T0 + 600, 2, AgentState.PAUSED, "lunch") in step.facts


def test_leaving_after_this_call_is_a_pause_the_pacer_sees_at_once():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2), wrap_up_s=20)
    h.login(1)
    o = connect_human(h, T0 + 1)
    h.feed(AgentLeaving(T0 + 10, 1, None, AgentState.LOGGED_OUT, "end of shift"))
    (view,) = h.dialer.lines.pacing_state(T0 + 11).agents
    assert (view.state, view.leaving_at) == (AgentState.ON_CALL, T0 + 11)
    h.feed(HungUp(T0 + 40, o.channel_id, o.attempt_id))
    step = h.tick(T0 + 60)
    assert AgentStatus(T0 + 60, 1, AgentState.LOGGED_OUT, "end of shift") in step.facts


def test_progressive_dials_an_agents_own_records_for_that_agent_only_then_the_pool():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2))
    h.leads.owned = {2: ny_leads(1, start=50)}  # agent 2 was handed a record
    leg1 = h.login(1, T0 - 30)  # ready longest: a pool call would go to agent 1 first
    leg2 = h.login(2, T0)
    step = h.tick(T0 + 1)
    owned, pooled = customer_originates(step.commands)
    assert owned.endpoint.number == ny_leads(1, start=50)[0].number
    assert AgentStatus(T0 + 1, 2, AgentState.RESERVED, "own record") in step.facts
    assert h.leads.claims == [1]  # one line left for the pool, for agent 1
    h.feed(Answered(T0 + 3, owned.channel_id, owned.attempt_id))
    step = h.feed(AmdResult(T0 + 5, owned.channel_id, owned.attempt_id, AmdVerdict.HUMAN))
    assert Bridge(owned.channel_id, leg2) in step.commands  # the owner, not the longest idle
    h.feed(Answered(T0 + 3, pooled.channel_id, pooled.attempt_id))
    step = h.feed(AmdResult(T0 + 6, pooled.channel_id, pooled.attempt_id, AmdVerdict.HUMAN))
    assert Bridge(pooled.channel_id, leg1) in step.commands


def test_an_owned_record_that_does_not_connect_gives_its_agent_back_to_the_pool():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.leads.owned = {1: ny_leads(1, start=50)}
    h.login(1)
    (owned,) = customer_originates(h.tick(T0 + 1).commands)
    assert h.leads.claims == []  # the only ready agent is reserved for their own record
    step = h.feed(HungUp(T0 + 20, owned.channel_id, owned.attempt_id, cause=19))
    assert AgentStatus(T0 + 20, 1, AgentState.READY) in step.facts
    (pooled,) = customer_originates(h.tick(T0 + 21).commands)
    assert pooled.endpoint.number == ny_leads(1)[0].number
