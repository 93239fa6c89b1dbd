"""Replay a recording through the framer and translator, as the live client does."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from ami.framing import Framer
from ami.translate import Translator
from orchestrator import events as e
from tests.ami.recording import Recording


def chunks(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (the TCP read boundaries)."""
    edges = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


def replay(rec: Recording, reads: Iterable[bytes] | None = None) -> list[e.Event]:
    framer = Framer()
    translator = Translator()
    for cmd in rec.commands:  # the client primes the state when it sends each command
        translator.state.expect(cmd)
    out: list[e.Event] = []
    for chunk in [rec.data] if reads is None else reads:
        for message in framer.feed(chunk):
            out.extend(translator.translate(message, now=0.0))
    return out
