"""Answering-machine detection on the real pbx, on greetings the world says in many ways.

Each greeting is a call from the pbx to the world, which answers with a corpus file
(``X-Greeting``); the pbx's ``AMD()`` must call every human a human (a person hung up on
is the costly error) and every voicemail greeting a machine. The tuning is the project's
``AmdTuning``: with the old ``maximum_number_of_words=2`` the three-word and Mandarin
humans are called MACHINE (MAXWORDS) and these tests fail.
"""

from __future__ import annotations

import asyncio

import pytest

from dialplans.render import AmdTuning
from lab.amd import AsteriskDetector, Verdict, classify_retrying, install_corpus, install_tuning

pytestmark = pytest.mark.sandbox

HUMANS = ("h-hello-clean", "h-hello-who-clean", "h-hello-who-f-snr20", "h-this-is-mary-clean",
          "h-mandarin-clean", "h-pause-hello-clean")
MACHINES = ("m-vm-short-clean", "m-vm-reached-snr20", "m-vm-mandarin-clean", "m-vm-pause-clean")


def _wrong(verdicts: list[Verdict]) -> list[str]:
    return [f"{v.greeting.name}: {v.status} {v.cause}" for v in verdicts if v.error or not v.right]


@pytest.fixture(scope="module")
def greetings(sandbox):
    wanted = set(HUMANS + MACHINES)
    return [g for g in install_corpus(sandbox) if g.name in wanted]


def test_corpus_subset_has_what_the_test_names(greetings):
    assert {g.name for g in greetings} == set(HUMANS + MACHINES)


def test_every_human_is_a_human_and_every_machine_a_machine(sandbox, greetings):
    """AMD() with the project's tuning as its arguments (the shared pbx's amd.conf is left alone)."""
    detector = AsteriskDetector(sandbox, route="app", tuning=AmdTuning())
    verdicts = asyncio.run(classify_retrying(detector, greetings, parallel=3))
    assert _wrong(verdicts) == []


def test_the_production_route_keeps_a_three_word_human_on_the_line(sandbox, greetings):
    """``sb-outbound`` with the rendered amd.conf: "Hello? Who is this?" is HUMAN, a voicemail MACHINE."""
    install_tuning(sandbox)
    names = ("h-hello-who-clean", "h-mandarin-clean", "m-vm-reached-snr20")
    chosen = [g for g in greetings if g.name in names]
    verdicts = asyncio.run(classify_retrying(AsteriskDetector(sandbox, route="dialplan"), chosen, parallel=3))
    assert _wrong(verdicts) == []
    assert {v.greeting.name: v.status for v in verdicts}["h-hello-who-clean"] == "HUMAN"
