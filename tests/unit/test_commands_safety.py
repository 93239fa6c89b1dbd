"""Commands refuse values that could inject AMI headers, dial targets or channel variables."""

import pytest

from orchestrator.commands import (
    ATTEMPT_VAR,
    AnnouncePosition,
    Endpoint,
    EndpointKind,
    Hangup,
    Originate,
    StartRecording,
)
from orchestrator.safe import UnsafeValue

TRUNK = Endpoint(EndpointKind.TRUNK, "world", "+15550001")


@pytest.mark.parametrize("number", ["123&PJSIP/999", "123,30", "12\r\nAction: Logoff", "1|2", "abc", ""])
def test_dial_number_injection_rejected(number):
    with pytest.raises(UnsafeValue):
        Endpoint(EndpointKind.TRUNK, "world", number)


@pytest.mark.parametrize("value", ["a\r\nAction: Originate", "x,y", "a}b", "a'b", "q=1", "a^b", "a|b"])
def test_variable_value_injection_rejected(value):
    with pytest.raises(UnsafeValue):
        Originate("a1", "c1", TRUNK, "sb-outbound", variables={"lead_name": value})


@pytest.mark.parametrize("name", ["1abc", "a b", "a\nb", "a=b", ""])
def test_variable_name_injection_rejected(name):
    with pytest.raises(UnsafeValue):
        Originate("a1", "c1", TRUNK, "sb-outbound", variables={name: "v"})


def test_originate_always_carries_attempt_id_and_is_immutable():
    o = Originate("a1", "c1", TRUNK, "sb-outbound", variables={"campaign": "7"})
    assert o.all_variables() == {"campaign": "7", ATTEMPT_VAR: "a1"}
    with pytest.raises(TypeError):
        o.variables["campaign"] = "8"  # type: ignore[index]


def test_recording_path_cannot_escape():
    with pytest.raises(UnsafeValue):
        StartRecording("c1", "../../etc/passwd")
    assert StartRecording("c1", "2026/11/26/c1").filename == "2026/11/26/c1"


def test_hangup_cause_range():
    with pytest.raises(UnsafeValue):
        Hangup("c1", 0)


@pytest.mark.parametrize("position", [0, -1, 1000])
def test_a_queue_position_is_a_plain_number_in_range(position):
    """It becomes the announce route's extension: nothing but 1-999."""
    with pytest.raises(UnsafeValue):
        AnnouncePosition("c1", "sb-queue-announce", position)


@pytest.mark.parametrize("minutes", [-1, 1000])
def test_an_estimated_wait_is_a_plain_number_in_range(minutes):
    """It goes into the announce route's extension too: 0 (none) to 999."""
    with pytest.raises(UnsafeValue):
        AnnouncePosition("c1", "sb-queue-announce", 2, minutes)


def test_asterisk_never_gets_a_tone_stream():
    """Only FreeSWITCH plays tone streams: the AMI renderer refuses them (their commas split AMI args)."""
    from ami.render import render as ami_render
    from orchestrator.commands import Play

    play = Play("chan-1", "tone_stream://%(500,500,480,620)")  # a valid command for FreeSWITCH
    with pytest.raises(UnsafeValue):
        ami_render(play)
    assert ami_render(Play("chan-1", "vm-goodbye"))


def test_asterisk_never_gets_a_tone_stream_variable():
    from ami.render import render as ami_render

    cmd = Originate(attempt_id="a1", channel_id="chan-1", route="sb-outbound",
                    endpoint=Endpoint(EndpointKind.TRUNK, "world", "+12015100000"),
                    variables={"sb_abandon_sound": "tone_stream://%(500,500,480,620)"})
    with pytest.raises(UnsafeValue):
        ami_render(cmd)
