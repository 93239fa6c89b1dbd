"""Core commands -> ESL text: the shapes of the real captures, and injection attempts refused."""

from __future__ import annotations

import pytest

from esl.render import DialConfig, EslRequest, esl_value, render
from orchestrator import commands as c
from orchestrator import safe
from tests.esl.capture import load

U = "f4822e8b-0511-408a-8f6e-72286c9da41f"
B = "49532bcc-84e6-478f-952f-b8e856a7494c"
J = "8ba9dbbd-8ad3-4cbe-9dcd-dd6ab9ebcd30"
LAB = DialConfig(trunks={"lab": "loopback/{number}"}, routes={"sb-outbound": "&park"})


def originate(**kw: object) -> c.Originate:
    args: dict = {"attempt_id": "42", "channel_id": U, "route": "sb-outbound",
                  "endpoint": c.Endpoint(c.EndpointKind.TRUNK, "lab", "9664")} | kw
    return c.Originate(**args)


def test_originate_to_a_lab_trunk_and_inline_park() -> None:
    request = render(originate(timeout_s=3), LAB, J)
    assert request == EslRequest(
        f"bgapi originate {{origination_uuid={U},sb_attempt_id=42,ignore_early_media=true,"
        f"originate_timeout=3}}loopback/9664 &park\nJob-UUID: {J}", J)


def test_originate_defaults_gateway_and_xml_dialplan_with_variables_in_stable_order() -> None:
    cmd = originate(endpoint=c.Endpoint(c.EndpointKind.TRUNK, "carrier1", "+4420700"), caller_id="4420799",
                    variables={"sb_lead_id": "7", "sb_campaign_id": "3"})
    text = render(cmd, DialConfig(), J).text
    assert text == (
        f"bgapi originate {{origination_uuid={U},sb_attempt_id=42,ignore_early_media=true,"
        "originate_timeout=25,origination_caller_id_number=4420799,sb_campaign_id=3,sb_lead_id=7}"
        f"sofia/gateway/carrier1/+4420700 sb-outbound XML switchboard\nJob-UUID: {J}")


def test_originate_to_a_seat() -> None:
    cmd = originate(endpoint=c.Endpoint(c.EndpointKind.SEAT, "agent041"), route="sb-agent-hold")
    assert "}user/agent041 sb-agent-hold XML switchboard\n" in render(cmd, DialConfig(), J).text


def test_the_capture_shapes_of_the_other_commands() -> None:
    assert render(c.Bridge(U, B), LAB).text == f"api uuid_bridge {U} {B}"
    assert render(c.Hangup(U), LAB).text == f"api uuid_kill {U} NORMAL_CLEARING"
    assert render(c.Hangup(U, cause=17), LAB).text == f"api uuid_kill {U} USER_BUSY"
    tmp = DialConfig(recordings_dir="/tmp")
    assert render(c.StartRecording(U, "esl_fixture_record.wav"), tmp).text == \
        f"api uuid_record {U} start /tmp/esl_fixture_record.wav"
    assert render(c.StopRecording(U, "esl_fixture_record.wav"), tmp).text == \
        f"api uuid_record {U} stop /tmp/esl_fixture_record.wav"
    assert render(c.StopRecording(U), tmp).text == f"api uuid_record {U} stop all"
    avmd = f"sendmsg {U}\ncall-command: execute\nexecute-app-name: avmd_start"
    assert render(c.StartAmd(U), LAB).text == avmd
    assert render(c.StartAmd(U), DialConfig()) is None  # sb-outbound runs the detection itself
    assert render(c.Play(U, "ivr/welcome.wav"), LAB).text == f"api uuid_broadcast {U} ivr/welcome.wav aleg"
    survey = c.SetVariables(U, {"sb_survey_sound": "ivr/rate.wav", "sb_survey_second": "ivr/again.wav"})
    assert render(survey, LAB).text == (f"api uuid_setvar_multi {U} sb_survey_second=ivr/again.wav;"
                                        "sb_survey_sound=ivr/rate.wav")
    transfer = f"api uuid_transfer {U} sb-abandon XML switchboard"
    assert render(c.Redirect(U, "sb-abandon"), LAB).text == transfer
    assert render(c.Redirect(U, "sb-outbound"), LAB).text == f"api uuid_transfer {U} park inline"
    assert render(c.Reload(), LAB).text == "api reloadxml"
    assert render(c.AnnouncePosition(U, "sb-queue-announce", 2), LAB).text == \
        f"api uuid_transfer {U} sb-queue-announce-2 XML switchboard"
    assert render(c.AnnouncePosition(U, "sb-queue-announce", 2, wait_min=3), LAB).text == \
        f"api uuid_transfer {U} sb-queue-announce-2-3 XML switchboard"


def test_rendered_texts_match_the_captured_commands() -> None:
    names = ("record", "avmd_beep", "bridge_two_legs", "originate_echo_hangup")
    sent = {cmd.text.removesuffix("\n\n") for name in names for cmd in load(name).commands}
    u_rec, u_avmd = "6031f312-acd7-450c-b46f-9a47d49ddb22", "031379fb-b757-4b2b-ae83-34a7530a40c7"
    a, b = "2532af7c-5c47-4ba9-9fce-5870bb1a9770", "49532bcc-84e6-478f-952f-b8e856a7494c"
    tmp = DialConfig(recordings_dir="/tmp")
    wav = "esl_fixture_record.wav"
    for cmd in (c.StartRecording(u_rec, wav), c.StopRecording(u_rec, wav),
                c.Bridge(a, b), c.Hangup("947abd84-2156-4215-aca0-e1da34b096c6")):
        assert render(cmd, tmp).text in sent
    assert render(c.StartAmd(u_avmd), LAB).text in sent  # the capture's box parks inline: avmd alone


@pytest.mark.parametrize("value", [
    "a\nb", "a\rb", "a b", "x,origination_uuid=evil", "x}sofia/gateway/evil/1", "{x=y}", "'quoted'",
    "${system rm -rf /}", "$${recordings_dir}", "a&bridge(user/1)", "a|b", "^^:a", "a\\,b", "[x]", '"q"',
    "a;b",
])
def test_values_freeswitch_would_interpret_are_refused(value: str) -> None:
    with pytest.raises(safe.UnsafeValue):
        esl_value(value)


@pytest.mark.parametrize("value", ["hello world", "$HOME", "a$b"])
def test_originate_variables_that_pass_core_validation_but_not_freeswitch_are_refused(value: str) -> None:
    cmd = originate(variables={"sb_note": value})  # the core allows spaces and '$'
    with pytest.raises(safe.UnsafeValue):
        render(cmd, LAB, J)


def forge(cls: type, **fields: object) -> object:
    """A command object built without running its validation (as a bug elsewhere might)."""
    obj = object.__new__(cls)
    for k, v in fields.items():
        object.__setattr__(obj, k, v)
    return obj


def test_commands_that_bypassed_their_own_validation_are_still_refused() -> None:
    with pytest.raises(safe.UnsafeValue):
        render(forge(c.Hangup, channel_id=f"{U}\n\napi system id", cause=16), LAB)
    endpoint = forge(c.Endpoint, kind=c.EndpointKind.TRUNK, name="carrier", number="123 &bridge(user/1000)")
    cmd = forge(c.Originate, attempt_id="1", channel_id=U, endpoint=endpoint, route="r", caller_id="",
                timeout_s=25, variables={})
    with pytest.raises(safe.UnsafeValue):
        render(cmd, LAB, J)
    with pytest.raises(safe.UnsafeValue):
        render(forge(c.Play, channel_id=U, sound="x aleg\napi system id"), LAB)


def test_an_originate_needs_a_safe_job_uuid() -> None:
    with pytest.raises(safe.UnsafeValue):
        render(originate(), LAB, "")
    with pytest.raises(safe.UnsafeValue):
        render(originate(), LAB, f"{J}\nJob-UUID: other")


@pytest.mark.parametrize("config", [
    {"trunks": {"lab": "loopback/{number} &park"}}, {"trunks": {"lab": "loopback/${x}"}},
    {"seat": "user/{name}\n"}, {"routes": {"sb-outbound": "&park\napi x"}},
    {"routes": {"sb-outbound": "park"}},
    {"routes": {"sb-outbound": "&bridge(user/1 ,x)"}}, {"recordings_dir": "/var/../etc"},
    {"recordings_dir": "relative"}, {"context": "a b"},
])
def test_unsafe_configuration_is_refused(config: dict) -> None:
    with pytest.raises(safe.UnsafeValue):
        DialConfig(**config)


def test_the_request_itself_checks_its_shape() -> None:
    with pytest.raises(safe.UnsafeValue):
        EslRequest("api status\n\napi system id")
    with pytest.raises(safe.UnsafeValue):
        EslRequest("bgapi originate x\nJob-UUID: j\nEvil: 1", "j")


def test_a_tone_stream_plays_verbatim() -> None:
    tone = "tone_stream://L=3;%(500,500,480,620);loops=2"
    assert render(c.Play(U, tone), LAB).text == f"api uuid_broadcast {U} {tone} aleg"


@pytest.mark.parametrize("sound", [
    "tone_stream://%(500,500,480,620) aleg\napi system id",  # a second command
    "tone_stream://%(500,500,480,620);${system(id)}",  # API expansion
    "tone_stream://%(500,500,480,620)}",  # closes a {} block
    "tone_stream://%(500,500,'480')",  # quoting
    "tone_stream://%(500,500,480),x",  # a comma outside a tone segment
    "tone_stream://{x=1}%(500,500,480)",
])
def test_tone_stream_lookalikes_are_refused(sound: str) -> None:
    with pytest.raises(safe.UnsafeValue):
        c.Play(U, sound)
    with pytest.raises(safe.UnsafeValue):
        render(forge(c.Play, channel_id=U, sound=sound), LAB)


def test_a_tone_stream_variable_has_its_commas_escaped_inside_the_braces() -> None:
    tone = "tone_stream://%(500,500,480,620);loops=2"
    text = render(originate(variables={"sb_abandon_sound": tone}), LAB, J).text
    assert r"sb_abandon_sound=tone_stream://%(500\,500\,480\,620);loops=2}loopback/9664" in text


@pytest.mark.parametrize("value", [
    "tone_stream://%(500,500,480),sb_x=1",  # a comma outside a tone segment: a second variable
    "tone_stream://%(500,500,480)}user/1000",
])
def test_a_tone_stream_lookalike_variable_is_refused(value: str) -> None:
    with pytest.raises(safe.UnsafeValue):
        originate(variables={"sb_abandon_sound": value})
    forged = forge(c.Originate, attempt_id="1", channel_id=U, route="sb-outbound", caller_id="", timeout_s=25,
                   endpoint=c.Endpoint(c.EndpointKind.TRUNK, "lab", "9664"), variables={"v": value})
    with pytest.raises(safe.UnsafeValue):
        render(forged, LAB, J)
