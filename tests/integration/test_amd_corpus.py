"""Answering-machine detection on both real PBXes, on greetings the world says in many ways.

Each greeting is a call from a PBX to the world, which answers with a corpus file
(``X-Greeting``); the PBX's detector must call every human a human (a person hung up on
is the costly error) and every voicemail greeting a machine. Asterisk: ``AMD()`` with the
project's ``AmdTuning``; with the old ``maximum_number_of_words=2`` the three-word and
Mandarin humans are called MACHINE (MAXWORDS) and these tests fail. FreeSWITCH: the node's
``sb-outbound`` (``detect_audio`` / ``detect_silence`` rendered from the same tuning) and the
core's cadence classifier; with the old ``initial_silence=2500`` the person who pauses 2 s
before "Hello? Who is this?" is called MACHINE (INITIALSILENCE) there.
"""

from __future__ import annotations

import asyncio

import pytest

from dialplans.render import AmdTuning
from lab import amd as amd_lab
from lab.amd import AsteriskDetector, Detector, Verdict, classify_retrying
from lab.campaign import Sandbox
from lab.sandbox import cli as sandbox_cli

pytestmark = pytest.mark.sandbox

HUMANS = ("h-hello-clean", "h-hello-who-clean", "h-hello-who-f-snr20", "h-this-is-mary-clean",
          "h-mandarin-clean", "h-pause-hello-clean", "h-pause-hello-who-clean")
MACHINES = ("m-vm-short-clean", "m-vm-reached-snr20", "m-vm-mandarin-clean", "m-vm-pause-clean")


def _wrong(verdicts: list[Verdict]) -> list[str]:
    return [f"{v.greeting.name}: {v.status} {v.cause}" for v in verdicts if v.error or not v.right]


@pytest.fixture(scope="module")
def greetings(sandbox):
    wanted = set(HUMANS + MACHINES)
    return [g for g in amd_lab.install_corpus(sandbox) if g.name in wanted]


def _asterisk(sandbox: Sandbox) -> Detector:
    """AMD() with the project's tuning as its arguments (the shared pbx's amd.conf is left alone)."""
    return AsteriskDetector(sandbox, route="app", tuning=AmdTuning())


def _freeswitch(sandbox: Sandbox) -> Detector:
    """The node's production route with the project's tuning (put back if another run changed it)."""
    sandbox_cli.up(sandbox.settings, "freeswitch")
    amd_lab.install_freeswitch_tuning(sandbox)
    return amd_lab.FreeSwitchDetector(sandbox)


def test_corpus_subset_has_what_the_test_names(greetings):
    assert {g.name for g in greetings} == set(HUMANS + MACHINES)


@pytest.mark.parametrize("make", [_asterisk, _freeswitch], ids=["asterisk", "freeswitch"])
def test_every_human_is_a_human_and_every_machine_a_machine(sandbox, greetings, make):
    verdicts = asyncio.run(classify_retrying(make(sandbox), greetings, parallel=3))
    assert _wrong(verdicts) == []


def test_the_production_route_keeps_a_three_word_human_on_the_line(sandbox, greetings):
    """Asterisk's ``sb-outbound`` with the rendered amd.conf: "Hello? Who is this?" is HUMAN, a voicemail
    MACHINE (FreeSWITCH has only its production route, tested above)."""
    amd_lab.install_tuning(sandbox)
    names = ("h-hello-who-clean", "h-mandarin-clean", "m-vm-reached-snr20")
    chosen = [g for g in greetings if g.name in names]
    verdicts = asyncio.run(classify_retrying(AsteriskDetector(sandbox, route="dialplan"), chosen, parallel=3))
    assert _wrong(verdicts) == []
    assert {v.greeting.name: v.status for v in verdicts}["h-hello-who-clean"] == "HUMAN"
