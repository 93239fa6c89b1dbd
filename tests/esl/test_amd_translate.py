"""sb-outbound's answering-machine reports, recorded from the live FreeSWITCH 1.10.12 node, -> core events.

``fixtures/amd/world_{human,machine}.server.txt`` are every byte FreeSWITCH sent
to the AMD benchmark's ESL connection (the events ``lab.amd.freeswitch_call``
subscribes to, filtered to the call's own channel and job) for one call to the sandbox
world's human ("hello", then silence) and one to its answering machine (a 5.7 s
greeting, then a 1000 Hz beep), with the project's ``sb-outbound`` route running
``detect_audio`` / ``detect_silence`` and avmd.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from esl.framing import EslEvent, Framer, parse_event
from esl.translate import Translator
from orchestrator import events as e
from orchestrator.amd import Cadence
from tests.esl.capture import chunks, random_cuts

FIXTURES = Path(__file__).parent / "fixtures" / "amd"


def recorded(name: str) -> bytes:
    return (FIXTURES / f"{name}.server.txt").read_bytes()


def translate(data: bytes, pieces: list[bytes] | None = None) -> list[e.Event]:
    framer, translator, out = Framer(), Translator(), []
    for piece in pieces or [data]:
        for frame in framer.feed(piece):
            if frame.is_event:
                out += translator.translate(parse_event(frame), 0.0)
    assert not framer.has_partial
    return out


def amd_events(events: list[e.Event]) -> list[e.Event]:
    return [ev for ev in events if isinstance(ev, e.Answered | e.VoiceDetected | e.AmdResult)]


def classify(events: list[e.Event]):
    answered = next(ev for ev in events if isinstance(ev, e.Answered))
    cadence = Cadence(answered.at)
    decisions = [(d, round((ev.at - answered.at) * 1000)) for ev in events
                 if isinstance(ev, e.VoiceDetected) and (d := cadence.feed(ev)) is not None]
    return decisions[0]


def test_a_human_is_voice_then_silence_and_classed_human():
    events = amd_events(translate(recorded("world_human")))
    assert [type(ev).__name__ for ev in events] == ["Answered", "VoiceDetected", "VoiceDetected"]
    cues = [(ev.cue, ev.held_ms) for ev in events[1:]]
    assert cues == [(e.VoiceCue.SPEECH, 120), (e.VoiceCue.SILENCE, 800)]
    assert len({ev.channel_id for ev in events}) == 1
    decision, decision_ms = classify(events)
    assert decision.verdict is e.AmdVerdict.HUMAN
    assert decision_ms == 1880  # FreeSWITCH's own timestamps: answer -> the silence report


def test_a_machine_talks_past_the_greeting_limit_then_beeps():
    events = amd_events(translate(recorded("world_machine")))
    assert [(type(ev).__name__, getattr(ev, "cue", None)) for ev in events] == [
        ("Answered", None), ("VoiceDetected", e.VoiceCue.SPEECH), ("VoiceDetected", e.VoiceCue.NO_SILENCE),
        ("AmdResult", None)]
    decision, decision_ms = classify(events)
    assert decision.verdict is e.AmdVerdict.MACHINE
    assert decision.cause.startswith("LONGGREETING")
    assert decision_ms == 3040
    beep = events[-1]
    assert (beep.verdict, beep.cause) == (e.AmdVerdict.MACHINE, "beep")  # avmd's copy arrives once


@pytest.mark.parametrize("name", ["world_human", "world_machine"])
@pytest.mark.parametrize("seed", range(3))
def test_tcp_boundaries_do_not_change_the_reports(name: str, seed: int):
    data = recorded(name)
    assert translate(data, chunks(data, random_cuts(data, seed))) == translate(data)


def report(**headers: str) -> EslEvent:
    base = {"Event-Name": "CUSTOM", "Event-Subclass": "switchboard::amd", "Unique-ID": "ch-1",
            "Event-Date-Timestamp": "1000000000"}
    return EslEvent(tuple({**base, **headers}.items()))


@pytest.mark.parametrize(("step", "timeout", "cue"), [
    ("audio", "false", e.VoiceCue.SPEECH), ("audio", "true", e.VoiceCue.NO_SPEECH),
    ("silence", "false", e.VoiceCue.SILENCE), ("silence", "true", e.VoiceCue.NO_SILENCE)])
def test_each_detector_outcome_is_one_cue(step: str, timeout: str, cue: e.VoiceCue):
    out = Translator().translate(report(**{"SB-Step": step, "SB-Timeout": timeout, "SB-Held-Ms": "120"}), 5.0)
    assert out == [e.VoiceDetected(1000.0, "ch-1", None, call_id="ch-1", cue=cue, held_ms=120)]


@pytest.mark.parametrize("headers", [
    {"SB-Step": "audio", "SB-Timeout": ""},  # the detector ended without setting it (the channel went away)
    {"SB-Step": "audio", "SB-Timeout": "${detect_audio_timeout}"},
    {"SB-Step": "beep", "SB-Timeout": "false"},
    {}])
def test_reports_that_say_nothing_are_dropped(headers: dict[str, str]):
    assert Translator().translate(report(**headers), 5.0) == []


def test_a_held_time_that_is_not_a_number_counts_as_zero():
    headers = {"SB-Step": "audio", "SB-Timeout": "false", "SB-Held-Ms": "x"}
    out = Translator().translate(report(**headers), 5.0)
    assert out[0].held_ms == 0
