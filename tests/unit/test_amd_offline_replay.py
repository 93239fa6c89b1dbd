"""The benchmark's offline replay of detect_audio/detect_silence, on frame levels (20 ms each)."""

from bench.amd_freeswitch import replay_detectors
from dialplans.render import AmdTuning
from orchestrator.events import VoiceCue
from provisioning.freeswitch import amd_detectors

AMD = amd_detectors(AmdTuning())
LOUD, QUIET = 2000.0, 0.0


def test_voice_then_silence():
    levels = [QUIET] * 20 + [LOUD] * 25 + [QUIET] * 100
    # voice at frame 20, reported on its 6th loud frame; silence reported on the 40th quiet frame
    assert replay_detectors(levels, AMD) == [(VoiceCue.SPEECH, 520, 120), (VoiceCue.SILENCE, 1700, 800)]


def test_voice_that_never_stops_and_no_voice_at_all():
    never_stops = [(VoiceCue.SPEECH, 120, 120), (VoiceCue.NO_SILENCE, 2920, 800)]  # greeting + 800 ms
    assert replay_detectors([LOUD] * 300, AMD) == never_stops
    assert replay_detectors([QUIET] * 300, AMD) == [(VoiceCue.NO_SPEECH, 2500, 0)]


def test_a_gap_shorter_than_the_after_greeting_silence_is_part_of_the_greeting():
    levels = [LOUD] * 20 + [QUIET] * 30 + [LOUD] * 20 + [QUIET] * 100
    cues = replay_detectors(levels, AMD)
    # the 600 ms gap did not end it: silence is reported on the 40th quiet frame after the second word
    assert cues == [(VoiceCue.SPEECH, 120, 120), (VoiceCue.SILENCE, (70 + 40) * 20, 800)]
