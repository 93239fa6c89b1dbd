"""AMI -> core events on real Asterisk 22 recordings (see tests/ami/record.py)."""

import random
import re

import pytest

from ami.translate import Translator
from dialplans.render import render_asterisk
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.dialer import routes
from orchestrator.inbound import hold
from tests.ami.recording import Recording, names
from tests.ami.replay import chunks, replay


def _detail(ev: e.Event):
    match ev:
        case e.HungUp() | e.OriginateFailed():
            return ev.cause
        case e.AmdResult():
            return ev.verdict.value
        case e.Dtmf():
            return ev.digit
        case e.DialplanSignal():
            return ev.name
        case e.SeatRegistration():
            return ev.registered
    return None


def summary(events, channels):
    """(event type, channel index in order of origination, detail) per event.

    A failed originate's Hangup and OriginateResponse come in either order from
    run to run (both are correct); they are listed HungUp first.
    """
    out = []
    for ev in events:
        ch = channels.index(ev.channel_id) if isinstance(ev, e.CallEvent) else None
        item = (type(ev).__name__, ch, _detail(ev))
        if out and item[:2] == ("HungUp", ch) and out[-1][:2] == ("OriginateFailed", ch):
            out.insert(len(out) - 1, item)
        else:
            out.append(item)
    return out


EXPECTED = {
    "originate_answer_hangup": [
        ("ChannelCreated", 0, None), ("Answered", 0, None), ("DialplanSignal", 0, "waiting"),
        ("HungUp", 0, 16)],
    "originate_busy": [("ChannelCreated", 0, None), ("HungUp", 0, 17), ("OriginateFailed", 0, 17)],
    # when OriginateResponse comes first, HangupRequest has given the cause
    "originate_congestion": [("ChannelCreated", 0, None), ("HungUp", 0, 34), ("OriginateFailed", 0, 34)],
    "originate_no_answer": [
        ("ChannelCreated", 0, None), ("Ringing", 0, None), ("HungUp", 0, 19), ("OriginateFailed", 0, 19)],
    # a 183 with early media changes no channel state: DialState PROGRESS is the Ringing
    "originate_early_media": [
        ("ChannelCreated", 0, None), ("Ringing", 0, None), ("HungUp", 0, 19), ("OriginateFailed", 0, 19)],
    "dtmf": [("ChannelCreated", 0, None), ("Answered", 0, None), ("Dtmf", 0, "1"), ("Dtmf", 0, "2"),
             ("Dtmf", 0, "#"), ("HungUp", 0, 16)],
    "bridge_two_legs": [
        ("ChannelCreated", 0, None), ("Answered", 0, None),
        ("ChannelCreated", 1, None), ("Answered", 1, None),
        ("Bridged", 1, None), ("Bridged", 0, None), ("Unbridged", 0, None), ("Unbridged", 1, None),
        ("HungUp", 0, 16), ("HungUp", 1, 16)],
    "record_start_stop": [
        ("ChannelCreated", 0, None), ("Answered", 0, None), ("RecordingStarted", 0, None),
        ("RecordingStopped", 0, None), ("HungUp", 0, 16)],
    "amd_machine_beep": [
        ("ChannelCreated", 0, None), ("Answered", 0, None), ("AmdResult", 0, "MACHINE"), ("HungUp", 0, 16)],
    "amd_human": [
        ("ChannelCreated", 0, None), ("Answered", 0, None), ("AmdResult", 0, "HUMAN"),
        ("DialplanSignal", 0, "waiting"), ("DialplanSignal", 0, "abandon"), ("HungUp", 0, 16)],
    "seat_registration": [("SeatRegistration", None, False), ("SeatRegistration", None, True)],
}


def _originated(rec):
    return [cmd for cmd in rec.commands if isinstance(cmd, c.Originate)]


def test_every_recording_has_expectations():
    assert sorted(EXPECTED) == names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_translates_to_expected_events(name):
    rec = Recording.load(name)
    originated = _originated(rec)
    events = replay(rec)
    assert summary(events, [o.channel_id for o in originated]) == EXPECTED[name]
    attempt_of = {o.channel_id: o.attempt_id for o in originated}
    for ev in events:
        if isinstance(ev, e.CallEvent):
            assert ev.attempt_id == attempt_of[ev.channel_id]
            assert ev.call_id == ev.channel_id  # each of our originates starts its own call
        assert ev.at > 1.7e9  # Asterisk's Timestamp header, not the replay clock


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_same_events_when_split_at_random_reads(name):
    rec = Recording.load(name)
    whole = replay(rec)
    rng = random.Random(name)
    for _ in range(10):
        cuts = rng.sample(range(1, len(rec.data)), k=rng.randint(1, 300))
        assert replay(rec, chunks(rec.data, cuts)) == whole


def test_attempt_learned_from_chanvariable_without_priming():
    """After a reconnect the state is empty: channelvars=sb_attempt_id still maps events."""
    rec = Recording.load("dtmf")
    events = replay(Recording(rec.name, rec.description, (), rec.data))
    created, *rest = events
    assert created.attempt_id is None  # Newchannel carries the variable empty
    assert {ev.attempt_id for ev in rest} == {_originated(rec)[0].attempt_id}
    assert "Answered" in [type(ev).__name__ for ev in rest]


def test_recording_file_and_auto_stop_on_hangup():
    t = Translator()
    t.state.expect(c.StartRecording("ch1", "calls/a.wav"))
    base = {"Uniqueid": "ch1", "ChanVariable": "sb_attempt_id=at1", "Timestamp": "1800000000.5"}
    assert t.translate({**base, "Event": "MixMonitorStart"}, 0) == [
        e.RecordingStarted(1800000000.5, "ch1", "at1", call_id="ch1", path="calls/a.wav")]
    stopped, hung = t.translate({**base, "Event": "Hangup", "Cause": "16"}, 0)
    assert stopped == e.RecordingStopped(1800000000.5, "ch1", "at1", call_id="ch1", path="calls/a.wav")
    assert hung.cause == 16
    assert t.state.attempts == {}
    assert t.state.recording == set()


def test_test_events_and_foreign_user_events_are_dropped():
    t = Translator()
    assert t.translate({"Event": "TestEvent", "Uniqueid": "x", "State": "RTP_PORT_ALLOCATED"}, 1.0) == []
    assert t.translate({"Event": "UserEvent", "UserEvent": "Other", "Uniqueid": "x"}, 1.0) == []


def test_dialplan_signal_fields_exclude_the_channel_snapshot():
    t = Translator()
    [sig] = t.translate({"Event": "UserEvent", "UserEvent": "SwitchboardMessageLeft", "Uniqueid": "c9",
                         "Channel": "PJSIP/x-1", "Attempt": "a9", "Queue": "sales", "Priority": "3",
                         "Linkedid": "c9"}, 2.0)
    assert sig == e.DialplanSignal(2.0, "c9", "a9", call_id="c9", name="message_left",
                                   fields=(("Queue", "sales"),))


def test_originate_failure_without_any_cause_uses_the_reason_code():
    t = Translator()
    t.state.expect(c.Originate("a1", "c1", c.Endpoint(c.EndpointKind.TRUNK, "w", "100"), "r"))
    [failed] = t.translate({"Event": "OriginateResponse", "Response": "Failure", "Reason": "5",
                            "Uniqueid": "c1"}, 3.0)
    assert (failed.cause, failed.attempt_id) == (17, "a1")
    assert t.state.originating == set()


def test_resync_relearns_attempts_and_bridges_from_the_channel_list():
    t = Translator()
    t.resync([{"Event": "CoreShowChannel", "Uniqueid": u, "BridgeId": "br1",
               "ChanVariable": f"sb_attempt_id=a-{u}"} for u in ("x", "y")])
    assert t.state.attempts == {"x": "a-x", "y": "a-y"}
    left = t.translate({"Event": "BridgeLeave", "BridgeUniqueid": "br1", "Uniqueid": "x"}, 5.0)
    assert left == [e.Unbridged(5.0, "x", "a-x", call_id="x", other_channel_id="y"),
                    e.Unbridged(5.0, "y", "a-y", call_id="y", other_channel_id="x")]


def test_a_failure_reported_before_any_cause_waits_for_the_hangup():
    """Seen on the sandbox: OriginateResponse (Reason 0) first, then the busy Hangup."""
    t = Translator()
    t.state.expect(c.Originate("a1", "c1", c.Endpoint(c.EndpointKind.TRUNK, "w", "100"), "r"))
    [created] = t.translate({"Event": "Newchannel", "Uniqueid": "c1"}, 1.0)
    assert created == e.ChannelCreated(1.0, "c1", "a1", call_id="c1")
    assert t.translate({"Event": "OriginateResponse", "Response": "Failure", "Reason": "0",
                        "Uniqueid": "c1"}, 2.0) == []
    hung, failed = t.translate({"Event": "Hangup", "Uniqueid": "c1", "Cause": "17"}, 3.0)
    assert (hung.cause, failed) == (17, e.OriginateFailed(2.0, "c1", "a1", call_id="c1", cause=17,
                                                                   reason="reason 0"))
    assert t.state.failures == {}
    assert t.state.attempts == {}


def test_a_failure_without_a_channel_is_reported_at_once():
    t = Translator()
    t.state.expect(c.Originate("a1", "c1", c.Endpoint(c.EndpointKind.TRUNK, "w", "100"), "r"))
    [failed] = t.translate({"Event": "OriginateResponse", "Response": "Failure", "Reason": "0",
                            "Uniqueid": "c1"}, 2.0)
    assert failed.cause == 0
    assert t.state.attempts == {}


def test_state_retain_keeps_only_live_channels():
    t = Translator()
    for ch in ("live", "gone"):
        t.state.expect(c.Originate("a-" + ch, ch, c.Endpoint(c.EndpointKind.TRUNK, "w", "100"), "r"))
    t.state.retain({"live"})
    assert t.state.attempts == {"live": "a-live"}
    assert t.state.originating == {"live"}


def test_a_call_from_the_trunk_arrives_with_caller_did_and_endpoint():
    """Recorded on the live sandbox: the world calls the pbx's DID 15550100; the core refuses it (21)."""
    rec = Recording.load("contract_inbound_call")
    channel = rec.ids["primary"]["channel_id"]
    created, arrived, hung = replay(rec)
    assert created == e.ChannelCreated(created.at, channel, call_id=channel)
    assert arrived == e.CallArrived(created.at, channel, call_id=channel, caller_number="15550142",
                                    caller_name="Alice Example", dialed_number="15550100", endpoint="world")
    assert (hung.channel_id, hung.call_id, hung.attempt_id, hung.cause) == (channel, channel, None, 21)


def test_legs_a_dialplan_adds_keep_the_call_they_were_born_in():
    """A Local ``;2`` half rings into the PBX inside its ``;1`` half's call; a bridge later moves
    ``Linkedid`` to the oldest call in it, but a leg's call id is the one it was born with."""
    t = Translator()
    newchannel = {"Event": "Newchannel", "ChannelState": "4", "Exten": "15550100",
                  "CallerIDNum": "<unknown>", "CallerIDName": "<unknown>"}
    _, arrived = t.translate({**newchannel, "Channel": "PJSIP/world-00000001", "Uniqueid": "in.1",
                              "Linkedid": "in.1"}, 1.0)
    assert (arrived.caller_number, arrived.caller_name, arrived.endpoint) == ("", "", "world")
    assert t.translate({**newchannel, "Channel": "Local/100@sb-inbound-00000002;2", "Uniqueid": "local.2",
                        "Linkedid": "in.1"}, 2.0) == [e.ChannelCreated(2.0, "local.2", call_id="in.1")]
    dialed = {**newchannel, "ChannelState": "0", "Channel": "PJSIP/agent001-00000003", "Uniqueid": "out.3",
              "Linkedid": "in.1"}
    assert t.translate(dialed, 3.0) == [e.ChannelCreated(3.0, "out.3", call_id="in.1")]
    bridged = {"Event": "Newstate", "ChannelState": "6", "Uniqueid": "in.1", "Linkedid": "older.0"}
    assert t.translate(bridged, 4.0) == [e.Answered(4.0, "in.1", call_id="in.1")]


def test_the_wait_routes_report_is_the_signal_the_queue_waits_for():
    """The rendered ``sb-queue-wait`` reports each caller there: the queue bridges them only then."""
    text = render_asterisk()["extensions-switchboard.conf"]
    wait = text.split(f"[{routes.QUEUE_WAIT}]")[1].split("\n[")[0]
    found = re.search(r"UserEvent\((\w+),", wait)
    assert found is not None, wait
    [signal] = Translator().translate({"Event": "UserEvent", "UserEvent": found.group(1), "Uniqueid": "in1",
                                       "Linkedid": "in1", "Caller": "2125550100"}, 3.0)
    assert (type(signal), signal.name, signal.channel_id) == (e.DialplanSignal, hold.SIGNAL, "in1")
