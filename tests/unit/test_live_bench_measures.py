"""The live benchmark's pure parts: the runner's hand-off clock, the FreeSWITCH measures, the RESULT line."""

from __future__ import annotations

import logging

import pytest

from bench.live import result_line
from esl.framing import EslEvent
from lab.campaign import fs_reached, fs_verdict_to_bridge
from orchestrator import commands as c
from orchestrator.events import HungUp, Tick
from runner.handoff import Handoff

CUSTOMER, AGENT, OTHER = "cust-1", "agent-1", "cust-2"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_handoff_times_a_bridge_from_the_input_that_caused_it(caplog):
    clock = Clock(100.0)
    handoff = Handoff(clock=clock)
    handoff.taken(HungUp(99.5, "x"))  # the input: its PBX stamp is 0.5 s old when taken
    handoff.queued(c.Bridge(CUSTOMER, AGENT))
    clock.now = 100.04
    with caplog.at_level(logging.INFO, logger="runner"):
        took = handoff.sent(c.Bridge(CUSTOMER, AGENT))
    assert took == pytest.approx(0.04)
    assert f"bridge sent channel={CUSTOMER} own_ms=40.0" in caplog.text
    assert handoff.sent(c.Hangup(CUSTOMER)) is None  # only bridges are timed


def test_handoff_lag_ignores_ticks_and_restarts_each_report():
    clock = Clock(100.0)
    handoff = Handoff(clock=clock)
    handoff.taken(HungUp(99.7, "x"))
    handoff.taken(Tick(50.0))  # a tick carries our own time, not the PBX's
    assert handoff.report_lag() == pytest.approx(0.3)
    assert handoff.report_lag() == 0.0


def fs_event(name: str, micros: int, **headers: str) -> EslEvent:
    pairs = [("Event-Name", name), ("Event-Date-Timestamp", str(micros))]
    pairs += [(k.replace("_", "-"), v) for k, v in headers.items()]
    return EslEvent(tuple(pairs))


def amd_report(channel: str, micros: int) -> EslEvent:
    return fs_event("CUSTOM", micros, Event_Subclass="switchboard::amd", Unique_ID=channel)


EVENTS = [
    amd_report(CUSTOMER, 1_000_000),
    amd_report(OTHER, 2_100_000),
    amd_report(CUSTOMER, 2_000_000),  # the greeting's end: the report the core decided on
    fs_event("CHANNEL_BRIDGE", 2_150_000, Unique_ID=AGENT, Bridge_A_Unique_ID=AGENT,
             Bridge_B_Unique_ID=CUSTOMER),
    amd_report(CUSTOMER, 3_000_000),  # after the bridge: not the verdict's input
    fs_event("CUSTOM", 4_000_000, Event_Subclass="switchboard::abandon", Unique_ID=OTHER),
]


def test_fs_verdict_to_bridge_counts_from_the_last_report_before_the_bridge():
    assert fs_verdict_to_bridge(EVENTS, CUSTOMER) == pytest.approx(0.15)


def test_fs_verdict_to_bridge_without_a_bridge_or_a_report_is_not_measured():
    assert fs_verdict_to_bridge(EVENTS, OTHER) is None  # abandoned, never bridged
    assert fs_verdict_to_bridge(EVENTS[3:4], CUSTOMER) is None  # bridged without any report


def test_fs_reached_is_the_bridge_or_the_abandon_route():
    assert fs_reached(EVENTS, CUSTOMER) == pytest.approx(2.15)
    assert fs_reached(EVENTS, OTHER) == pytest.approx(4.0)
    assert fs_reached(EVENTS, "nobody") is None


def test_result_line_keeps_asterisk_format_and_tags_freeswitch():
    figures = dict(own=[5.0, 8.3], e2e=[565.4], greeting=[1225.9], concurrent=163,
                   attempts_per_s=25.14, duplicates=0)
    assert result_line("asterisk", **figures) == (
        "RESULT live own_p99_ms=8.3 bridge_p99_ms=565.4 concurrent=163 attempts_per_s=25.1 "
        "duplicate_originates=0 greeting_to_agent_p99_ms=1225.9")
    assert result_line("freeswitch", **figures).startswith("RESULT live pbx=freeswitch own_p99_ms=8.3 ")


def test_result_line_leaves_out_what_was_not_measured():
    line = result_line("freeswitch", own=[], e2e=[], greeting=[], concurrent=10, attempts_per_s=1.0,
                       duplicates=2)
    assert line == "RESULT live pbx=freeswitch concurrent=10 attempts_per_s=1.0 duplicate_originates=2"
