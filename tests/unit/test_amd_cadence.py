"""The greeting-cadence classifier: amd.conf's rules over voice cues, in milliseconds after the answer."""

import dataclasses

import pytest

from dialplans.render import AmdTuning
from orchestrator.amd import Cadence, CadenceParams, Decision
from orchestrator.events import AmdVerdict, VoiceCue, VoiceDetected

ANSWER = 1000.0
#: The timings these cases were measured with (the world's greetings on FreeSWITCH, amd.conf of the time).
PARAMS = CadenceParams(initial_silence_ms=2500, greeting_ms=1500, total_analysis_ms=5000)


def cue(kind: VoiceCue, ms: int, held_ms: int) -> VoiceDetected:
    return VoiceDetected(ANSWER + ms / 1000, "ch", "a1", cue=kind, held_ms=held_ms)


def run(*cues: VoiceDetected, params: CadenceParams | None = None) -> Decision | None:
    cadence = Cadence(ANSWER, params or PARAMS)
    decisions = [d for c in cues if (d := cadence.feed(c)) is not None]
    assert len(decisions) <= 1
    return decisions[0] if decisions else None


def test_a_short_hello_then_silence_is_a_human():
    # The world's "hello" as FreeSWITCH reported it: voice at 740 ms (held 120), silence at 1880 (held 800).
    d = run(cue(VoiceCue.SPEECH, 740, 120), cue(VoiceCue.SILENCE, 1880, 800))
    assert d == Decision(AmdVerdict.HUMAN, "HUMAN-800-800")  # as app_amd: silence heard, wanted


def test_three_words_within_the_greeting_limit_are_a_human_not_counted_as_words():
    # "Hello? Who is this?" ~1.3 s with short gaps: app_amd's maximum_number_of_words = 2 calls it a machine.
    d = run(cue(VoiceCue.SPEECH, 400, 120), cue(VoiceCue.SILENCE, 400 - 120 + 1300 + 800, 800))
    assert d is not None
    assert d.verdict is AmdVerdict.HUMAN


def test_a_greeting_longer_than_the_limit_is_a_machine_even_if_silence_follows():
    d = run(cue(VoiceCue.SPEECH, 500, 120), cue(VoiceCue.SILENCE, 380 + 1600 + 800, 800))
    assert d == Decision(AmdVerdict.MACHINE, "LONGGREETING-1600-1500")


def test_voice_that_never_pauses_is_a_machine():
    # The world's 5.7 s voicemail greeting: detect_silence gave up 2300 ms after the voice cue.
    d = run(cue(VoiceCue.SPEECH, 740, 120), cue(VoiceCue.NO_SILENCE, 3040, 800))
    assert d == Decision(AmdVerdict.MACHINE, "LONGGREETING-2420-1500")


def test_no_voice_within_the_initial_silence_is_a_machine_as_in_app_amd():
    assert run(cue(VoiceCue.NO_SPEECH, 2500, 0)).verdict is AmdVerdict.MACHINE
    # Voice detected, but it began after the initial silence (a detector with a longer timeout).
    d = run(cue(VoiceCue.SPEECH, 2700, 120))
    assert d == Decision(AmdVerdict.MACHINE, "INITIALSILENCE-2580-2500")


def test_a_late_decision_is_notsure_so_the_dialer_connects_it():
    d = run(cue(VoiceCue.SPEECH, 2000, 120), cue(VoiceCue.SILENCE, 5200, 800))
    assert d == Decision(AmdVerdict.NOTSURE, "TOOLONG-5200")


def test_the_first_decision_stands_and_silence_before_any_voice_decides_nothing():
    cadence = Cadence(ANSWER)
    assert cadence.feed(cue(VoiceCue.SILENCE, 900, 800)) is None  # no voice yet: nothing to measure
    assert cadence.feed(cue(VoiceCue.SPEECH, 1000, 120)) is None
    first = cadence.feed(cue(VoiceCue.SILENCE, 2300, 800))
    assert first is not None
    assert first.verdict is AmdVerdict.HUMAN
    assert cadence.feed(cue(VoiceCue.NO_SILENCE, 3000, 800)) is None
    assert cadence.decided == first


def test_voice_reported_as_beginning_before_the_answer_counts_from_the_answer():
    d = run(cue(VoiceCue.SPEECH, 50, 120), cue(VoiceCue.SILENCE, 1350, 800))
    assert d == Decision(AmdVerdict.HUMAN, "HUMAN-800-800")


def test_the_defaults_are_amd_conf_s_so_both_pbxes_use_the_same_parameters():
    tuning = AmdTuning()
    assert CadenceParams() == CadenceParams(
        initial_silence_ms=tuning.initial_silence, greeting_ms=tuning.greeting,
        after_greeting_silence_ms=tuning.after_greeting_silence,
        total_analysis_ms=tuning.total_analysis_time, min_word_ms=tuning.min_word_length)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(CadenceParams)])
@pytest.mark.parametrize("value", [0, -1, 60_001, 1.5, "100"])
def test_out_of_range_parameters_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        CadenceParams(**{field: value})


def test_a_restored_call_s_silence_without_its_voice_cue_decides_at_once():
    """The runner was down when the greeting began (its voice cue lost): a silence settling within the
    greeting limit of the answer is a person's; later it is NOTSURE (connected), never a wait to timeout."""
    quick = Cadence(ANSWER, PARAMS, resumed=True)
    assert quick.feed(cue(VoiceCue.SILENCE, 1880, 800)) == Decision(AmdVerdict.HUMAN, "HUMAN-800-800")
    slow = Cadence(ANSWER, PARAMS, resumed=True)
    assert slow.feed(cue(VoiceCue.SILENCE, 3000, 800)) == Decision(AmdVerdict.NOTSURE, "RESUMED-2200-1500")
    # A call this runner saw answered keeps waiting for the voice (silence first is the detector's start).
    assert run(cue(VoiceCue.SILENCE, 1880, 800)) is None
