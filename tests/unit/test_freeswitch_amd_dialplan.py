"""FreeSWITCH's sb-outbound: answering-machine detection with amd.conf's parameters, only when asked."""

import xml.etree.ElementTree as ET

from dialplans.render import AmdTuning, DialplanParams
from provisioning import freeswitch


def outbound(params: DialplanParams | None = None) -> ET.Element:
    doc = ET.fromstring(freeswitch.dialplan(params))
    (ext,) = [x for x in doc.iter("extension") if x.get("name") == "sb-outbound"]
    return ext


def test_detection_runs_only_when_the_originate_says_sb_amd_yes_then_the_call_parks():
    conditions = outbound().findall("condition")
    assert [(c.get("field"), c.get("expression"), c.get("break")) for c in conditions] == [
        ("destination_number", "^sb-outbound$", None),
        ("${sb_amd}", "^yes$", "never"),  # "no" (preview, no-AMD campaigns): straight to the park
        ("destination_number", "^sb-outbound$", None)]
    apps = [(a.get("application"), a.get("data")) for a in conditions[1].findall("action")]
    assert apps == [
        ("avmd_start", None),
        ("detect_audio", "512 5 3000"),
        ("event", "Event-Subclass=switchboard::amd,Event-Name=CUSTOM,SB-Step=audio,"
                  "SB-Timeout=${detect_audio_timeout},SB-Held-Ms=120"),
        ("detect_silence", "512 39 2800"),
        ("event", "Event-Subclass=switchboard::amd,Event-Name=CUSTOM,SB-Step=silence,"
                  "SB-Timeout=${detect_silence_timeout},SB-Held-Ms=800")]
    assert [a.get("application") for a in conditions[2].findall("action")] == ["park"]


def test_amd_conf_parameters_become_detector_arguments_in_20_ms_frames():
    tuning = AmdTuning(initial_silence=3000, greeting=1200, after_greeting_silence=600, min_word_length=60,
                       silence_threshold=256)
    assert freeswitch.amd_detectors(tuning) == {
        "threshold": 256, "audio_hits": 3, "audio_held_ms": 80, "initial_silence_ms": 3000,
        "silence_hits": 29, "silence_held_ms": 600, "greeting_window_ms": 1800}
    apps = {a.get("application"): a.get("data") for a in outbound(DialplanParams(amd=tuning)).iter("action")}
    assert (apps["detect_audio"], apps["detect_silence"]) == ("256 3 3000", "256 29 1800")
