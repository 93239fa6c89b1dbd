"""ESL events -> core events, on every real capture (whole and split at random TCP boundaries)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from esl.connection import SUBSCRIPTION
from esl.framing import EslEvent, Framer, parse_event
from esl.translate import Translator, cause_number
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.dialer import routes
from orchestrator.inbound import hold
from orchestrator.leads.outcomes import node_refused
from provisioning import freeswitch
from tests.esl.capture import FIXTURES, NAMES, chunks, load, random_cuts
from tests.esl.replay import for_channel, kinds, originates, translate


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(2))
def test_tcp_boundaries_do_not_change_the_core_events(name: str, seed: int) -> None:
    cap = load(name)
    assert translate(cap, chunks(cap.server, random_cuts(cap.server, seed))) == translate(cap)


@pytest.mark.parametrize("name", NAMES)
def test_only_the_originated_leg_carries_the_attempt(name: str) -> None:
    cap = load(name)
    names = {ev["Unique-ID"]: ev.get("Channel-Name", "") for ev in cap.events if ev.get("Channel-Name")}
    with_var = {ev["Unique-ID"] for ev in cap.events if ev.get("variable_sb_attempt_id")}
    attributed = {ev.channel_id for ev in translate(cap)
                  if isinstance(ev, e.CallEvent) and ev.attempt_id and not isinstance(ev, e.OriginateFailed)}
    far_ends = {ch for ch in with_var if names[ch].startswith("loopback/") and names[ch].endswith("-b")}
    assert attributed == with_var - far_ends


def test_bgapi_originate_park_answer_then_kill() -> None:
    events = translate(load("bgapi_originate_park"))
    a_leg = for_channel(events, "f4822e8b-0511-408a-8f6e-72286c9da41f")
    assert kinds(a_leg) == ["ChannelCreated", "Answered", "HungUp"]
    assert {ev.attempt_id for ev in a_leg} == {"42"}
    hangup = e.HungUp(a_leg[-1].at, a_leg[0].channel_id, "42", call_id=a_leg[0].channel_id, cause=16,
                      cause_text="NORMAL_CLEARING")
    assert a_leg[-1] == hangup
    b_leg = for_channel(events, "afe29752-3530-40b0-8eeb-14315dcdd100")
    assert kinds(b_leg) == ["ChannelCreated", "Answered", "HungUp"]
    assert {ev.attempt_id for ev in b_leg} == {None}  # the loopback far end inherited our variables
    assert not any(isinstance(ev, e.OriginateFailed) for ev in events)


def test_event_time_is_freeswitch_microseconds() -> None:
    created = translate(load("bgapi_originate_park"))[0]
    assert created.at == pytest.approx(1795730056.4, abs=1.0)


def test_null_channel_with_temporary_uuid() -> None:
    events = translate(load("originate_echo_hangup"))
    assert kinds(events) == ["ChannelCreated", "Answered", "HungUp"]
    assert {ev.channel_id for ev in events} == {"947abd84-2156-4215-aca0-e1da34b096c6"}


def test_events_under_a_temporary_uuid_map_to_the_final_one() -> None:
    t = Translator()
    rename = (("Event-Name", "CHANNEL_UUID"), ("Unique-ID", "final"), ("Old-Unique-ID", "temp"))
    t.translate(EslEvent(rename), 0)
    [created] = t.translate(EslEvent((("Event-Name", "CHANNEL_CREATE"), ("Unique-ID", "temp"))), 0)
    assert created.channel_id == "final"


def test_originate_failures_map_causes_for_our_jobs() -> None:
    cap = load("originate_fail")
    events = translate(cap)
    failed = [ev for ev in events if isinstance(ev, e.OriginateFailed)]
    assert [(ev.attempt_id, ev.cause) for ev in failed] == [("44", 17), ("45", 19), ("46", 17), ("47", 3)]
    assert failed[0].reason == "-ERR USER_BUSY"
    # The loopback busy pair: the a-leg (FreeSWITCH chose its uuid) hangs up busy.
    hangups = [ev for ev in events if isinstance(ev, e.HungUp)]
    assert [(ev.attempt_id, ev.cause) for ev in hangups] == [(None, 17), ("46", 17), (None, 3), ("47", 3)]


def test_a_job_we_did_not_send_is_ignored() -> None:
    cap = load("originate_fail")
    t = Translator()  # not primed: these are someone else's jobs
    frames = Framer().feed(cap.server)
    events = [ev for f in frames if f.is_event for ev in t.translate(parse_event(f), 0)]
    assert not any(isinstance(ev, e.OriginateFailed) for ev in events)


def test_no_answer_rings_once_then_fails_19() -> None:
    events = for_channel(translate(load("originate_no_answer")), "f4054872-f030-4bd0-a610-b7dbaab71323")
    assert kinds(events) == ["ChannelCreated", "Ringing", "HungUp", "OriginateFailed"]
    assert events[2].cause == 19
    assert events[3].cause == 19


def test_early_media_is_not_an_answer() -> None:
    events = for_channel(translate(load("originate_early_media")), "2e7b1e21-8fd5-43bf-a360-18f18f19e4a8")
    assert kinds(events) == ["ChannelCreated", "Ringing", "HungUp"]


def test_bridge_reports_both_legs_and_the_hangup_ends_the_bridge_first() -> None:
    a, b = "2532af7c-5c47-4ba9-9fce-5870bb1a9770", "49532bcc-84e6-478f-952f-b8e856a7494c"
    events = translate(load("bridge_two_legs"))
    a_events = for_channel(events, a)
    assert kinds(a_events) == ["ChannelCreated", "Answered", "Bridged", "Unbridged", "HungUp"]
    assert a_events[2] == e.Bridged(a_events[2].at, a, "50", call_id=a, other_channel_id=b)
    b_events = for_channel(events, b)
    assert kinds(b_events) == ["ChannelCreated", "Answered", "Bridged", "Unbridged", "HungUp"]
    assert b_events[2].attempt_id == "51"
    assert b_events[2].other_channel_id == a


def test_record_start_stop_without_a_request_reports_the_freeswitch_path() -> None:
    recording = e.RecordingStarted | e.RecordingStopped
    events = [ev for ev in translate(load("record")) if isinstance(ev, recording)]
    assert kinds(events) == ["RecordingStarted", "RecordingStopped"]
    assert {ev.path for ev in events} == {"/tmp/esl_fixture_record.wav"}  # not requested via a command here
    assert {ev.attempt_id for ev in events} == {"60"}


def test_dtmf_arrives_on_the_loopback_far_end() -> None:
    events = [ev for ev in translate(load("dtmf")) if isinstance(ev, e.Dtmf)]
    assert [(ev.channel_id[:8], ev.digit, ev.attempt_id) for ev in events] == [
        ("aa5e2e58", "1", None), ("aa5e2e58", "2", None), ("aa5e2e58", "#", None)]


def test_avmd_beep_is_one_machine_verdict() -> None:
    events = translate(load("avmd_beep"))
    amd = [ev for ev in events if isinstance(ev, e.AmdResult)]
    ours = "031379fb-b757-4b2b-ae83-34a7530a40c7"
    assert amd == [e.AmdResult(amd[0].at, ours, "80", call_id=ours, verdict=e.AmdVerdict.MACHINE,
                               cause="beep")]
    assert kinds(events) == ["ChannelCreated", "Answered", "AmdResult", "HungUp"]


def test_json_events_translate_like_plain_ones() -> None:
    events = for_channel(translate(load("event_json")), "b96ff9a1-773c-4f2e-b487-fd3bdb7fa940")
    assert kinds(events) == ["ChannelCreated", "Answered", "HungUp"]
    assert {ev.attempt_id for ev in events} == {"91"}


def test_server_closed_session_still_reports_the_hangup() -> None:
    events = translate(load("disconnect_server_close"))
    assert [(type(ev).__name__, ev.attempt_id, ev.cause) for ev in events] == [("HungUp", "93", 16)]


def test_callcenter_member_is_ours_agent_leg_is_not() -> None:
    events = translate(load("callcenter"))
    member = "b8c16e0d-d8a9-40bc-ad69-a87d8add239d"
    assert {ev.attempt_id for ev in for_channel(events, member)} == {"90"}
    others = [ev for ev in events if isinstance(ev, e.CallEvent) and ev.channel_id != member]
    assert others
    assert {ev.attempt_id for ev in others} == {None}


@pytest.mark.parametrize(("name", "q850", "number"), [
    ("USER_BUSY", "", 17), ("NO_ANSWER", "", 19), ("NORMAL_CLEARING", "", 16),
    ("NO_ROUTE_DESTINATION", "", 3), ("ORIGINATOR_CANCEL", "", 487), ("CALL_REJECTED", "", 21),
    ("NORMAL_CLEARING", "16", 16), ("ORIGINATOR_CANCEL", "16", 16), ("SOMETHING_NEW", "", 0),
])
def test_cause_numbers(name: str, q850: str, number: int) -> None:
    assert cause_number(name, q850) == number


def test_recording_events_report_the_file_name_the_core_asked_for() -> None:
    cap = load("record")
    t = Translator()
    t.state.expect(c.StartRecording("6031f312-acd7-450c-b46f-9a47d49ddb22", "2026/11/attempt-60.wav"))
    frames = Framer().feed(cap.server)
    events = [ev for f in frames if f.is_event for ev in t.translate(parse_event(f), 0)]
    paths = [ev.path for ev in events if isinstance(ev, e.RecordingStarted | e.RecordingStopped)]
    assert paths == ["2026/11/attempt-60.wav", "2026/11/attempt-60.wav"]


@pytest.mark.parametrize("name", NAMES)
def test_state_is_empty_once_every_channel_is_destroyed(name: str) -> None:
    cap = load(name)
    created = {ev["Unique-ID"] for ev in cap.events if ev.get("Channel-Name")}
    destroyed = {ev["Unique-ID"] for ev in cap.events if ev["Event-Name"] == "CHANNEL_DESTROY"}
    t = Translator()
    for originate, job in originates(cap):
        t.state.expect(originate, job)
    for frame in Framer().feed(cap.server):
        if frame.is_event:
            t.translate(parse_event(frame), 0)
    state = t.state
    leftovers = set(state.attempts) | state.created | state.ringing | state.hung_up | set(state.bridged)
    if created <= destroyed and name != "api_status":  # api_status used a synchronous api originate
        assert leftovers == set()
        assert state.jobs == {}
        assert state.aliases == {}
    else:
        assert leftovers <= created - destroyed | {o.channel_id for o, _ in originates(cap)}


def test_dialplan_signal_convention() -> None:
    # Synthetic: our dialplan convention, not a captured FreeSWITCH event.
    t = Translator()
    signal = EslEvent((("Event-Name", "CUSTOM"), ("Event-Subclass", "switchboard::abandon"),
                       ("Unique-ID", "u1"), ("variable_origination_uuid", "u1"),
                       ("variable_sb_attempt_id", "7"), ("SB-Sound", "abandon-msg"), ("Channel-Name", "x")))
    assert t.translate(signal, 5.0) == [
        e.DialplanSignal(5.0, "u1", "7", call_id="u1", name="abandon", fields=(("Sound", "abandon-msg"),))]


def test_spandsp_fax_results_are_the_fax_signal_asterisk_sends() -> None:
    # Synthetic, with the headers mod_spandsp sets (the live fax tests see the real ones).
    t = Translator()
    result = EslEvent((("Event-Name", "CUSTOM"), ("Event-Subclass", "spandsp::rxfaxresult"),
                       ("Unique-ID", "u2"), ("fax-success", "0"), ("fax-result-code", "49"),
                       ("fax-result-text", "The call dropped prematurely"),
                       ("fax-document-transferred-pages", "1"),
                       ("fax-remote-station-id", "WORLD"), ("Caller-Caller-ID-Number", "12125550123"),
                       ("variable_sb_fax_called", "12015550101"), ("variable_sb_fax_file", "/fax/u2.tif")))
    (signal,) = t.translate(result, 5.0)
    assert signal.name == "fax"
    assert dict(signal.fields) == {
        "Direction": "in", "Status": "FAILED", "Pages": "1", "Station": "WORLD",
        "Error": "The call dropped prematurely", "Caller": "12125550123", "Called": "12015550101",
        "File": "/fax/u2.tif"}


def test_resync_keeps_live_channels_and_commands_sent_after_the_list_was_taken() -> None:
    t = Translator()
    state = t.state

    def dial(channel: str, attempt: str, job: str) -> None:
        state.expect(c.Originate(attempt, channel, c.Endpoint(c.EndpointKind.TRUNK, "lab", "1234"), "r"), job)

    dial("live-1", "1", "job-1")
    dial("gone-2", "2", "job-2")  # in flight when the session dropped; not in the live list
    since = state.sequence
    dial("new-3", "3", "job-3")  # sent on the new session before the consumer saw the resync
    state.retain({"live-1"}, since)
    assert state.attempts == {"live-1": "1", "new-3": "3"}
    assert set(state.jobs) == {"job-1", "job-3"}


@pytest.mark.parametrize("name", NAMES)
def test_every_leg_is_keyed_by_its_call(name: str) -> None:
    """FreeSWITCH's Channel-Call-UUID: each leg in these captures starts its own call (a loopback
    b-leg too); only a call that came in from outside is announced."""
    events = translate(load(name))
    assert all(ev.call_id == ev.channel_id for ev in events if isinstance(ev, e.CallEvent))
    arrived = [ev for ev in events if isinstance(ev, e.CallArrived)]
    assert len(arrived) == (name == "contract_inbound_call")


def test_a_call_from_the_gateway_arrives_with_caller_did_and_carrier() -> None:
    """Recorded on the live sandbox: the world calls the node's DID 15550101, admitted by its address
    list ``world``; the node rings it (ring_ready: no far end alerting, so no Ringing); we refuse it."""
    cap = load("contract_inbound_call")
    channel = cap.summary["ids"]["primary"]["channel_id"]
    created, arrived, hung = translate(cap)
    assert created == e.ChannelCreated(created.at, channel, call_id=channel)
    assert arrived == e.CallArrived(created.at, channel, call_id=channel, caller_number="15550142",
                                    caller_name="Alice Example", dialed_number="15550101", endpoint="world")
    assert (hung.channel_id, hung.call_id, hung.attempt_id, hung.cause) == (channel, channel, None, 21)


def _shutdown_capture() -> tuple[Translator, list[e.Event]]:
    """The live node stopped (SIGTERM) while originates kept arriving (fixtures README)."""
    client = (FIXTURES / "shutdown_with_originates.client.txt").read_text()
    translator = Translator()
    sent = re.finditer(r"origination_uuid=(?P<ch>[0-9a-f-]{36}).*\nJob-UUID: (?P<job>[0-9a-f-]{36})", client)
    for n, match in enumerate(sent):
        originate = c.Originate(str(n), match["ch"], c.Endpoint(c.EndpointKind.TRUNK, "world", "1234"),
                                "sb-outbound")
        translator.state.expect(originate, match["job"])
    frames = Framer().feed((FIXTURES / "shutdown_with_originates.server.txt").read_bytes())
    return translator, [ev for f in frames if f.is_event for ev in translator.translate(parse_event(f), 0)]


def test_calls_the_stopping_node_ends_before_they_rang_are_the_nodes_not_the_customers() -> None:
    translator, events = _shutdown_capture()
    failed = [ev for ev in events if isinstance(ev, e.OriginateFailed)]
    # The trap: a moment after SHUTDOWN sofia answers 27, which would read as the customer's line.
    assert "-ERR DESTINATION_OUT_OF_ORDER" in {ev.reason for ev in failed}
    hangups = [ev for ev in events if isinstance(ev, e.HungUp)]
    assert hangups
    assert {ev.cause for ev in failed + hangups} == {701}
    assert all(node_refused(ev.cause, placed=True, rang=False) for ev in failed + hangups)
    assert translator.state.shutting_down


def test_a_node_that_answers_again_is_no_longer_stopping() -> None:
    translator, _ = _shutdown_capture()
    translator.state.retain([])  # the next session's resync: FreeSWITCH runs again
    world = c.Endpoint(c.EndpointKind.TRUNK, "world", "1234")
    translator.state.expect(c.Originate("9", "ch9", world, "sb-outbound"), "job9")
    out_of_order = "-ERR DESTINATION_OUT_OF_ORDER\n"
    job = EslEvent((("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", "job9")), out_of_order)
    [failed] = translator.translate(job, 0)
    assert isinstance(failed, e.OriginateFailed)
    assert failed.cause == 27


def test_the_wait_routes_report_is_subscribed_and_is_the_signal_the_queue_waits_for() -> None:
    """The rendered ``sb-queue-wait`` fires an event for each caller there; the queue bridges them only
    then, so the adapter must subscribe to it (it once did not: the runner never heard it)."""
    doc = ET.fromstring(freeswitch.dialplan())
    wait = next(x for x in doc.iter("extension") if x.get("name") == routes.QUEUE_WAIT)
    [fired] = [a.get("data") for a in wait.iter("action") if a.get("application") == "event"]
    subclass = dict(kv.split("=", 1) for kv in fired.split(","))["Event-Subclass"]
    assert subclass in SUBSCRIPTION.split()
    event = EslEvent((("Event-Name", "CUSTOM"), ("Event-Subclass", subclass), ("Unique-ID", "in1"),
                      ("Channel-Call-UUID", "in1"), ("SB-Caller", "2125550100")))
    [signal] = Translator().translate(event, 3.0)
    assert (type(signal), signal.name, signal.channel_id) == (e.DialplanSignal, hold.SIGNAL, "in1")
