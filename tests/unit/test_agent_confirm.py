""""Press 1 to accept": a remote agent's answered leg is up only once the phone pressed 1 (hold route)."""

from __future__ import annotations

from dialer_harness import T0, Harness, customer_originates, ny_leads, of_type

from orchestrator.commands import Endpoint, EndpointKind, Originate
from orchestrator.dialer import routes
from orchestrator.dialer.agents import CONNECTING, NO_PHONE, NOT_CONFIRMED
from orchestrator.dialer.facts import AgentStatus
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import AgentState, AgentStateChanged, Answered, DialplanSignal, HungUp, Tick

MOBILE = Endpoint(EndpointKind.TRUNK, "carrier", "+12015199000")


def login(h: Harness, *, confirm: bool, at: float = T0) -> Originate:
    step = h.feed(AgentLogin(at, 7, 1, MOBILE, confirm=confirm))
    (leg,) = of_type(step.commands, Originate)
    return leg


def states(h: Harness) -> list[tuple[AgentState, str]]:
    return [(f.state, f.reason) for f in of_type(h.facts, AgentStatus) if f.agent_id == 1]


def test_the_answered_leg_waits_for_the_key_then_the_agent_gets_customers():
    h = Harness(leads=ny_leads(1), record_calls=False, amd=False)
    leg = login(h, confirm=True)
    assert leg.route == routes.AGENT_HOLD
    assert leg.variables[routes.VAR_CONFIRM] == "yes"
    h.feed(Answered(T0 + 1, leg.channel_id, leg.attempt_id))
    assert customer_originates(h.tick(T0 + 2).commands) == []  # answered, not confirmed: not READY
    assert states(h) == [(AgentState.PAUSED, CONNECTING)]
    h.feed(DialplanSignal(T0 + 3, leg.channel_id, leg.attempt_id, name=routes.SIGNAL_CONFIRMED))
    assert states(h)[-1] == (AgentState.READY, "")
    assert len(customer_originates(h.tick(T0 + 4).commands)) == 1


def test_no_key_hangs_up_the_leg_and_pauses_the_agent_until_they_ask_again():
    h = Harness(leads=ny_leads(1), record_calls=False, amd=False)
    leg = login(h, confirm=True)
    h.feed(Answered(T0 + 1, leg.channel_id, leg.attempt_id))  # a voicemail picked up the mobile
    h.feed(HungUp(T0 + 12, leg.channel_id, leg.attempt_id))  # the hold route gave up on the 1
    assert states(h)[-1] == (AgentState.PAUSED, NOT_CONFIRMED)
    assert customer_originates(h.tick(T0 + 13).commands) == []
    # Like any failed leg: the agent's next ready request dials their phone again, asking for the key.
    step = h.feed(AgentStateChanged(T0 + 20, 1, AgentState.READY))
    (again,) = of_type(step.commands, Originate)
    assert (again.endpoint, again.variables[routes.VAR_CONFIRM]) == (MOBILE, "yes")
    assert states(h)[-1] == (AgentState.PAUSED, CONNECTING)


def test_a_leg_never_answered_is_a_lost_phone_and_a_seat_without_the_check_is_up_on_answer():
    h = Harness(record_calls=False, amd=False)
    leg = login(h, confirm=True)
    h.feed(HungUp(T0 + 30, leg.channel_id, leg.attempt_id, cause=19))
    assert states(h)[-1] == (AgentState.PAUSED, NO_PHONE)
    plain = Harness(record_calls=False, amd=False)
    leg = login(plain, confirm=False)
    assert routes.VAR_CONFIRM not in leg.variables
    plain.feed(Answered(T0 + 1, leg.channel_id, leg.attempt_id))
    plain.feed(Tick(T0 + 2))
    assert states(plain)[-1] == (AgentState.READY, "")
