"""The sandbox's number encoding, its greeting corpus and its user-facing errors (no Asterisk needed)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from dataclasses import replace

import click
import phonenumbers
import pytest
from phonenumbers import timezone

from lab.sandbox import rootfs
from lab.sandbox.greetings import (
    HUMANS,
    MACHINES,
    Greeting,
    corpus,
    duration_s,
    make,
    rms,
    stamp,
    world_dir_in_root,
)
from lab.sandbox.layout import nodes
from lab.sandbox.render import dialplan
from lab.sandbox.world import Outcome, greeting_variable, outcome_header, trunk_dial, world_number
from settings import load_settings


@pytest.mark.parametrize("outcome", list(Outcome))
def test_world_numbers_are_valid_nanp_numbers_that_carry_outcome_and_talk_time(outcome):
    number = world_number(outcome, talk_s=7, serial=42, area_code="415")
    assert number == f"+14155{outcome.digit}07042"
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed)  # the lead importer accepts it
    assert timezone.time_zones_for_number(parsed) == ("America/Los_Angeles",)


def test_outcome_digits_are_distinct_and_stable():
    assert [o.digit for o in Outcome] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert Outcome.HUMAN.digit == 1
    assert Outcome.MACHINE.digit == 5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"talk_s": 100}, "talk_s must be 0-99, not 100"), ({"talk_s": -1}, "talk_s must be 0-99, not -1"),
    ({"serial": 1000}, "serial must be 0-999, not 1000"), ({"area_code": "099"}, "bad NANP area code '099'"),
    ({"area_code": "20"}, "bad NANP area code '20'"),
])
def test_world_number_rejects_what_does_not_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        world_number(Outcome.HUMAN, **kwargs)


def test_header_and_dial_string():
    assert outcome_header(Outcome.MACHINE, 20) == "machine/20"
    assert trunk_dial("+12015100001") == "PJSIP/+12015100001@world"


def test_not_root_says_to_run_as_root(monkeypatch):
    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 1000)
    with pytest.raises(click.ClickException, match=r"run as root \(chroot needs it\)"):
        rootfs.require_root_user()


def test_missing_debootstrap_says_what_to_install(monkeypatch):
    monkeypatch.setattr(rootfs.shutil, "which", lambda name, path=None: None)
    with pytest.raises(click.ClickException, match="apt-get install debootstrap"):
        rootfs.require_debootstrap()


def test_root_dir_changes_with_the_package_list(monkeypatch, tmp_path):
    before = rootfs.root_dir(tmp_path)
    monkeypatch.setattr(rootfs, "PACKAGES", (*rootfs.PACKAGES, "asterisk-opus"))
    assert rootfs.root_dir(tmp_path) != before
    assert not rootfs.is_built(rootfs.root_dir(tmp_path))


# --- what the world says: the greeting corpus and its header -------------------------------


def test_greeting_variable_is_a_header_and_refuses_what_could_escape_the_sounds_dir():
    assert greeting_variable("h-hello-who-clean") == "PJSIP_HEADER(add,X-Greeting)=h-hello-who-clean"
    for bad in ("../etc/passwd", "H-Hello", "a b", "x,y", "", "a" * 65):
        with pytest.raises(ValueError, match=f"bad greeting name {re.escape(repr(bad))}: lower-case letters"):
            greeting_variable(bad)


def test_corpus_has_enough_humans_and_machines_with_unique_safe_names():
    greetings = corpus()
    humans = [g for g in greetings if g.outcome is Outcome.HUMAN]
    machines = [g for g in greetings if g.outcome is Outcome.MACHINE]
    assert len(humans) >= 30
    assert len(machines) >= 30
    names = [g.name for g in greetings]
    assert len(set(names)) == len(names)
    for name in names:
        greeting_variable(name)  # every name passes the header check
    kinds = {g.kind for g in humans}
    assert {"hello-who", "this-is-mary", "mandarin", "pause-hello"} <= kinds
    assert {g.noise for g in greetings} == {"clean", "snr20", "snr10", "quiet12"}


def test_corpus_stamp_changes_with_the_specification_only():
    assert stamp(corpus()) == stamp(corpus())
    assert stamp(corpus(noise_levels=(None, 20))) != stamp(corpus())


def test_world_dialplan_plays_the_chosen_greeting_and_marks_its_end(tmp_path):
    settings = replace(load_settings(), sandbox_state=tmp_path / "state", sandbox_cache=tmp_path / "cache")
    text = dialplan(nodes(settings)["world"], settings)
    where = world_dir_in_root(settings)
    assert "Set(dialed=${EXTEN})" in text
    assert "${FILTER(a-z0-9-,${PJSIP_HEADER(read,X-Greeting)})}" in text  # only safe characters reach a path
    assert f"Playback({where}/${{greeting}})" in text
    assert f"Playback({where}/${{greeting}}-after)" in text
    human = text[text.index("exten => human,1"):text.index("exten => machine,1")]
    # the default human still says "hello", then the greeting's end is announced
    assert "Playback(hello)\n same => n,UserEvent(WorldGreetingEnd,Number: ${dialed})" in human
    assert human.count("UserEvent(WorldGreetingEnd,Number: ${dialed})") == 2


@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox")
def test_greetings_are_8khz_mono_deterministic_and_noise_is_at_the_stated_snr(tmp_path):
    script = HUMANS[0]  # "Hello?" after a pick-up pause
    clean, noisy = Greeting(Outcome.HUMAN, script, None), Greeting(Outcome.HUMAN, script, 10)
    machine = Greeting(Outcome.MACHINE, MACHINES[3], None)  # the shortest voicemail greeting
    for greeting in (clean, noisy, machine):
        make(greeting, tmp_path)
    for name in (clean.name, f"{clean.name}-after", noisy.name, machine.name):
        info = subprocess.run(["soxi", str(tmp_path / f"{name}.wav")], capture_output=True, text=True).stdout
        assert "Sample Rate    : 8000" in info
        assert "Channels       : 1" in info
    assert 3.0 <= duration_s(tmp_path / f"{machine.name}.wav") <= 15.0
    assert rms(tmp_path / f"{clean.name}-after.wav") == 0.0  # clean: silence after the greeting
    again = tmp_path / "again"
    again.mkdir()
    make(noisy, again)
    assert (again / f"{noisy.name}.wav").read_bytes() == (tmp_path / f"{noisy.name}.wav").read_bytes()
    # SNR against the speech (without its lead-in pause): 10 dB as stated
    speech = tmp_path / "speech.wav"
    subprocess.run(["sox", str(tmp_path / f"{clean.name}.wav"), str(speech), "trim",
                    f"{script.lead_in_ms / 1000}"], check=True)
    noise = tmp_path / "noise.wav"
    subprocess.run(["sox", "-m", "-v", "1", str(tmp_path / f"{noisy.name}.wav"), "-v", "-1",
                    str(tmp_path / f"{clean.name}.wav"), str(noise)], check=True)
    assert 20 * math.log10(rms(speech) / rms(noise)) == pytest.approx(10, abs=0.5)
