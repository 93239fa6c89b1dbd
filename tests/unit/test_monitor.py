"""Live monitoring's decisions (orchestrator.monitor): who gets called, into what, and when it ends."""

import xml.etree.ElementTree as ET

import pytest

from orchestrator import commands as c
from orchestrator.agents.pool import AgentPool
from orchestrator.events import AgentState, Answered, HungUp, OriginateFailed, Tick
from orchestrator.monitor import (
    ROUTE,
    VAR_MODE,
    VAR_TARGET,
    MonitorDialing,
    MonitorEnded,
    MonitorMode,
    MonitorRequest,
    Monitors,
    MonitorStarted,
    attempt_id,
    session_of,
)
from orchestrator.node.unit import UnitKey, UnitKind
from orchestrator.safe import UnsafeValue

CAMPAIGN = UnitKey(UnitKind.CAMPAIGN, 1)
LEG = "leg-agent-7"
SPY = "spy-leg-1"


def pool_with_agent(state=AgentState.ON_CALL, attempt="att-1"):
    pool = AgentPool(lambda agent, now: CAMPAIGN)
    agent = pool.join(7, c.Endpoint(c.EndpointKind.SEAT, "agent007"), frozenset({CAMPAIGN}), 0.0, leg=LEG)
    agent.state, agent.attempt_id = state, attempt  # as the campaign's dialer sets them on a bridge
    return pool


def request(mode=MonitorMode.WHISPER, seat="leader01", session=42):
    return MonitorRequest(10.0, session, 7, seat, mode, SPY)


@pytest.mark.parametrize("mode", list(MonitorMode))
def test_an_agent_on_a_call_gets_the_leaders_phone_spying_on_their_leg_in_that_mode(mode):
    monitors = Monitors()
    step = monitors.handle(request(mode), pool_with_agent())
    (originate,) = step.commands
    assert isinstance(originate, c.Originate)
    assert originate.endpoint == c.Endpoint(c.EndpointKind.SEAT, "leader01")
    assert originate.route == ROUTE
    assert originate.channel_id == SPY
    assert originate.variables == {VAR_TARGET: LEG, VAR_MODE: mode.value}
    assert session_of(originate.attempt_id) == 42
    assert step.facts == (MonitorDialing(10.0, 42, SPY, LEG, "att-1"),)


@pytest.mark.parametrize(
    ("pool", "why"),
    [
        (AgentPool(lambda agent, now: CAMPAIGN), "not logged in here"),
        (pool_with_agent(AgentState.READY, None), "not on a call"),
        (pool_with_agent(AgentState.WRAP_UP, None), "not on a call"),
    ],
)
def test_no_call_no_monitoring_and_the_session_says_why(pool, why):
    step = Monitors().handle(request(), pool)
    assert step.commands == ()
    (ended,) = step.facts
    assert ended == MonitorEnded(10.0, 42, ended.reason)
    assert why in ended.reason


def test_the_agents_own_phone_cannot_monitor_them():
    step = Monitors().handle(request(seat="agent007"), pool_with_agent())
    assert step.commands == ()
    assert "own phone" in step.facts[0].reason


def test_answer_starts_and_the_leaders_hangup_ends_the_session():
    monitors, pool = Monitors(), pool_with_agent()
    monitors.handle(request(), pool)
    answered = Answered(12.0, SPY, attempt_id(42))
    assert monitors.owns(answered)
    assert monitors.handle(answered, pool).facts == (MonitorStarted(12.0, 42),)
    assert monitors.handle(Answered(12.5, SPY, attempt_id(42)), pool).facts == ()  # said once
    hung = HungUp(30.0, SPY, attempt_id(42))
    assert monitors.owns(hung)
    assert monitors.handle(hung, pool).facts == (MonitorEnded(30.0, 42, "ended"),)
    assert monitors.handle(HungUp(31.0, SPY, attempt_id(42)), pool).facts == ()


def test_a_phone_that_never_answers_ends_the_session_with_that_reason():
    monitors, pool = Monitors(), pool_with_agent()
    monitors.handle(request(), pool)
    step = monitors.handle(OriginateFailed(40.0, SPY, attempt_id(42), cause=19), pool)
    assert step.facts == (MonitorEnded(40.0, 42, "the team leader's phone did not answer"),)


def test_the_customer_hanging_up_hangs_up_the_leaders_leg_but_the_event_stays_the_campaigns():
    monitors, pool = Monitors(), pool_with_agent()
    monitors.handle(request(), pool)
    customer_gone = HungUp(50.0, "customer-chan", "att-1")
    assert not monitors.owns(customer_gone)  # the campaign must see its customer hang up
    assert monitors.handle(customer_gone, pool).commands == (c.Hangup(SPY),)
    other_call = HungUp(50.0, "other-chan", "att-2")
    assert monitors.handle(other_call, pool).commands == ()


def test_other_events_are_not_monitorings():
    monitors = Monitors()
    assert not monitors.owns(Tick(1.0))
    assert not monitors.owns(Answered(1.0, "x", "att-9"))
    assert monitors.handle(Answered(1.0, "x", "att-9"), pool_with_agent()) == monitors.handle(
        Tick(1.0), pool_with_agent()
    )


@pytest.mark.parametrize("seat", ["leader01,PJSIP/x", "a b", "x\r\nAction: Hangup"])
def test_an_unsafe_seat_cannot_become_a_request(seat):
    with pytest.raises(UnsafeValue):
        request(seat=seat)


def test_an_unknown_mode_cannot_become_a_request():
    with pytest.raises(ValueError, match="spy"):
        MonitorRequest(1.0, 1, 7, "leader01", "spy", SPY)  # type: ignore[arg-type]


def test_the_freeswitch_route_whispers_to_the_agent_and_barges_to_both():
    """On the leg eavesdropped on (the agent's), whisper_bleg reaches the agent, whisper_aleg the customer."""
    from provisioning import freeswitch
    from tests.unit.test_freeswitch_xml import SEATS

    doc = ET.fromstring(freeswitch.answer({"section": "dialplan", "Hunt-Context": "switchboard"}, SEATS))
    ext = next(e for e in doc.iter("extension") if e.get("name") == ROUTE)
    sets = {}
    for cond in ext.iter("condition"):
        if cond.get("field") == f"${{{VAR_MODE}}}":
            sets[cond.get("expression")] = [a.get("data") for a in cond.iter("action")]
    assert sets["^(whisper|barge)$"] == ["eavesdrop_whisper_bleg=true"]
    assert sets["^barge$"] == ["eavesdrop_whisper_aleg=true"]
    assert f"${{{VAR_TARGET}}}" in sets["^(listen|whisper|barge)$"]
    assert "eavesdrop_enable_dtmf=false" in sets["^(listen|whisper|barge)$"]
