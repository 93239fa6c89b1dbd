"""Commands -> AMI actions, and the renderer's own refusal of header injection."""

import pytest

from ami.render import check_headers, dial_string, render
from orchestrator import commands as c
from orchestrator.safe import UnsafeValue

TRUNK = c.Endpoint(c.EndpointKind.TRUNK, "world", "+15550001")


def _forced(obj, **fields):
    """Bypass construction-time validation, as a buggy or hostile caller could."""
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    return obj


def test_originate_action():
    cmd = c.Originate("att-1", "3f1c-77", TRUNK, "sb-outbound", caller_id="3312345", timeout_s=20,
                      variables={"sb_amd": "yes", "campaign": "7"})
    assert render(cmd) == [{
        "Action": "Originate", "Channel": "PJSIP/+15550001@world", "ChannelId": "3f1c-77",
        "Context": "sb-outbound", "Exten": "s", "Priority": "1", "Timeout": "20000", "Async": "true",
        "Variable": ["campaign=7", "sb_amd=yes", "sb_attempt_id=att-1"], "CallerID": "3312345",
    }]


def test_routes_map_to_node_contexts_and_are_checked():
    cmd = c.Originate("a1", "ch1", TRUNK, "sb-outbound")
    assert render(cmd, {"sb-outbound": "lab-park"})[0]["Context"] == "lab-park"
    assert render(c.Redirect("ch1", "sb-outbound"), {"sb-outbound": "lab-park"})[0]["Context"] == "lab-park"
    with pytest.raises(UnsafeValue):
        render(cmd, {"sb-outbound": "lab\r\nAction: Logoff"})


def test_seat_dial_string():
    assert dial_string(c.Endpoint(c.EndpointKind.SEAT, "agent001")) == "PJSIP/agent001"


@pytest.mark.parametrize(("cmd", "expected"), [
    (c.Bridge("a", "b"), [{"Action": "Bridge", "Channel1": "a", "Channel2": "b", "Tone": "no"}]),
    (c.Hangup("a", cause=17), [{"Action": "Hangup", "Channel": "a", "Cause": "17"}]),
    (c.Redirect("a", "sb-abandon"),
     [{"Action": "Redirect", "Channel": "a", "Context": "sb-abandon", "Exten": "s", "Priority": "1"}]),
    (c.StartRecording("a", "2026/a.wav"), [{"Action": "MixMonitor", "Channel": "a", "File": "2026/a.wav"}]),
    (c.StopRecording("a"), [{"Action": "StopMixMonitor", "Channel": "a"}]),
    (c.StartAmd("a"), []),
    (c.Reload("pjsip"), [{"Action": "Reload", "Module": "pjsip"}]),
    (c.Reload(), [{"Action": "Reload"}]),
    (c.Play("a", "custom/welcome"), [
        {"Action": "Setvar", "Channel": "a", "Variable": "sb_play_sound", "Value": "custom/welcome"},
        {"Action": "Redirect", "Channel": "a", "Context": "sb-play", "Exten": "s", "Priority": "1"}]),
    (c.SetVariables("a", {"sb_survey_sound": "custom/rate-us", "sb_survey_second": "custom/again"}), [
        {"Action": "Setvar", "Channel": "a", "Variable": "sb_survey_second", "Value": "custom/again"},
        {"Action": "Setvar", "Channel": "a", "Variable": "sb_survey_sound", "Value": "custom/rate-us"}]),
    (c.AnnouncePosition("a", "sb-queue-announce", 12),
     [{"Action": "Redirect", "Channel": "a", "Context": "sb-queue-announce", "Exten": "12",
       "Priority": "1"}]),
    (c.AnnouncePosition("a", "sb-queue-announce", 2, wait_min=3),  # about 3 minutes after the position
     [{"Action": "Redirect", "Channel": "a", "Context": "sb-queue-announce", "Exten": "2*3",
       "Priority": "1"}]),
])
def test_other_actions(cmd, expected):
    assert render(cmd) == expected


INJECTIONS = ["100\r\nAction: Hangup", "100\nChannel: x", "100\r", "100&PJSIP/999@world", "100,1,tT",
              "100|PJSIP/2", "\x00"]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["number", "name"])
def test_forced_endpoint_injection_refused(payload, field):
    endpoint = _forced(c.Endpoint(c.EndpointKind.TRUNK, "world", "100"), **{field: payload})
    with pytest.raises(UnsafeValue):
        render(_forced(c.Originate("a1", "ch1", TRUNK, "r"), endpoint=endpoint))


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["attempt_id", "channel_id", "route", "caller_id"])
def test_forced_originate_field_injection_refused(payload, field):
    cmd = _forced(c.Originate("a1", "ch1", TRUNK, "r"), **{field: payload})
    with pytest.raises(UnsafeValue):
        render(cmd)


@pytest.mark.parametrize("variables", [
    {"x": "1\r\nAction: Originate"}, {"x\r\nAction: Logoff\r\n": "1"}, {"x": "a,b"}, {"x": "a=b"}])
def test_forced_variable_injection_refused(variables):
    cmd = _forced(c.Originate("a1", "ch1", TRUNK, "r"), variables=variables)
    with pytest.raises(UnsafeValue):
        render(cmd)


@pytest.mark.parametrize("cmd", [
    _forced(c.Hangup("a"), channel_id="a\r\nAction: Originate"),
    _forced(c.Bridge("a", "b"), other_channel_id="b\nx: y"),
    _forced(c.Redirect("a", "r"), extension="s\r\n"),
    _forced(c.StartRecording("a", "f.wav"), filename="../../etc/passwd"),
    _forced(c.StartRecording("a", "f.wav"), filename="f.wav\r\nAction: Logoff"),
    _forced(c.Play("a", "x"), sound="x\r\nAction: Logoff"),
    _forced(c.Reload("m"), module="m\r\n"),
    _forced(c.AnnouncePosition("a", "r", 2), route="r\r\nAction: Logoff"),
])
def test_forced_injection_in_other_commands_refused(cmd):
    with pytest.raises(UnsafeValue):
        render(cmd)


@pytest.mark.parametrize("action", [
    {"Action": "Ping", "X": "a\r\nAction: Logoff"},
    {"Action": "Ping", "X": ["ok", "b\n"]},
    {"Action": "Ping", "Bad Name": "1"},
    {"Action": "Ping", "X\r\nY": "1"},
    {"Action": "Ping", "X": 3},
])
def test_check_headers_refuses_line_breaks_and_odd_names(action):
    with pytest.raises(UnsafeValue):
        check_headers(action)
