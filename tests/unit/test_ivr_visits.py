"""The IVR menus' steps as the core keeps them (``orchestrator.inbound.ivr``): the PBX reports each
step of a visit (``ivr_menu``), the core adds a hang-up inside a menu from the caller's ``HungUp``."""

from __future__ import annotations

from orchestrator.events import DialplanSignal, HungUp, PbxConnected
from orchestrator.inbound.ivr import SIGNAL_MENU, IvrMenuEvent, MenuStep, MenuVisits

T0 = 1_700_000_000.0


def step(at: float, channel: str, **fields: str) -> DialplanSignal:
    return DialplanSignal(at, channel, name=SIGNAL_MENU, call_id=channel,
                          fields=tuple((k.capitalize(), v) for k, v in fields.items()))


def test_each_step_of_a_visit_is_a_fact_and_a_hang_up_inside_the_menu_is_seen():
    visits = MenuVisits()
    assert visits.handle(step(T0, "a", menu="3", step="enter")) == (IvrMenuEvent(T0, 3, "a", MenuStep.ENTER),)
    assert visits.handle(step(T0 + 1, "a", menu="3", step="invalid", key="7")) == (
        IvrMenuEvent(T0 + 1, 3, "a", MenuStep.INVALID, "7"),)
    assert visits.handle(step(T0 + 2, "a", menu="3", step="timeout")) == (
        IvrMenuEvent(T0 + 2, 3, "a", MenuStep.TIMEOUT),)
    assert visits.handle(HungUp(T0 + 3, "a")) == (IvrMenuEvent(T0 + 3, 3, "a", MenuStep.HANGUP),)
    assert visits.handle(HungUp(T0 + 4, "a")) == ()  # once


def test_a_caller_who_left_the_menu_hangs_up_elsewhere_not_in_it():
    visits = MenuVisits()
    visits.handle(step(T0, "b", menu="3", step="enter"))
    assert visits.handle(step(T0 + 1, "b", menu="3", step="key", key="1", go="route", to="5")) == (
        IvrMenuEvent(T0 + 1, 3, "b", MenuStep.KEY, "1", "route", 5),)
    assert visits.handle(HungUp(T0 + 60, "b")) == ()  # in the queue the key sent them to
    visits.handle(step(T0, "c", menu="3", step="enter"))
    visits.handle(step(T0 + 9, "c", menu="3", step="none", key="9", go="callback"))
    assert visits.handle(HungUp(T0 + 10, "c")) == ()


def test_a_key_to_a_sub_menu_opens_a_visit_there():
    visits = MenuVisits()
    visits.handle(step(T0, "d", menu="3", step="enter"))
    visits.handle(step(T0 + 1, "d", menu="3", step="key", key="2", go="menu", to="4"))
    visits.handle(step(T0 + 1, "d", menu="4", step="enter"))
    assert visits.handle(HungUp(T0 + 2, "d")) == (IvrMenuEvent(T0 + 2, 4, "d", MenuStep.HANGUP),)


def test_a_reconnect_forgets_the_callers_the_pbx_no_longer_has():
    visits = MenuVisits()
    visits.handle(step(T0, "e", menu="3", step="enter"))
    visits.handle(step(T0, "f", menu="3", step="enter"))
    assert visits.handle(PbxConnected(T0 + 5, "pbx", frozenset({"f"}))) == ()
    assert visits.handle(HungUp(T0 + 6, "e")) == ()
    assert visits.handle(HungUp(T0 + 6, "f")) != ()


def test_what_a_dialplan_cannot_have_sent_is_not_kept():
    visits = MenuVisits()
    assert visits.handle(step(T0, "g", menu="x", step="enter")) == ()  # no menu
    assert visits.handle(step(T0, "g", menu="3", step="dance")) == ()
    assert visits.handle(step(T0, "g", menu="3", step="hangup")) == ()  # the core's own step
    [fact] = visits.handle(step(T0, "g", menu="3", step="invalid", key="7; DROP", go="evil", to="1e9"))
    assert (fact.key, fact.go, fact.to) == ("", "", 0)
    assert visits.handle(HungUp(T0, "other")) == ()
    assert visits.handle(DialplanSignal(T0, "h", name="waiting")) is None  # not the IVR's
