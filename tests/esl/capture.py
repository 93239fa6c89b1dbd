"""Load the real FreeSWITCH 1.10.12 ESL captures: byte-exact copies of ``/work/shared/fixtures/esl``,
and ``contract_*`` ones the project recorded live on its sandbox node (``tests/esl/record.py``).

See ``fixtures/README.md`` for how they were made and the protocol facts they show.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
#: Captures the project recorded itself (``tests/esl/record.py``), not copies of the shared ones.
CONTRACT_PREFIX = "contract_"
NAMES = tuple(sorted(p.name.removesuffix(".json") for p in FIXTURES.glob("*.json")))


@dataclass(frozen=True)
class Command:
    text: str
    server_offset: int  # server bytes already received when the command was sent


@dataclass(frozen=True)
class Capture:
    name: str
    server: bytes
    client: bytes
    summary: dict[str, Any]

    @property
    def commands(self) -> list[Command]:
        return [Command(c["text"], c["server_offset"]) for c in self.summary["commands"]]

    @property
    def replies(self) -> list[dict[str, Any]]:
        return self.summary["replies"]

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.summary["events"]

    def frame_offsets(self) -> list[int]:
        """Where every frame starts in the server stream (from the summary)."""
        return sorted(r["offset"] for r in itertools.chain(self.replies, self.events))


@cache
def load(name: str) -> Capture:
    return Capture(
        name,
        (FIXTURES / f"{name}.server.txt").read_bytes(),
        (FIXTURES / f"{name}.client.txt").read_bytes(),
        json.loads((FIXTURES / f"{name}.json").read_text()),
    )


def chunks(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (the TCP read boundaries)."""
    edges = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def random_cuts(data: bytes, seed: int, mean_chunk: int = 97) -> list[int]:
    rng = random.Random(seed)
    return rng.sample(range(1, len(data)), k=min(len(data) - 1, len(data) // mean_chunk + 1))


def boundary_cuts(capture: Capture, spread: int = 3) -> list[list[int]]:
    """One split per position within ``spread`` bytes of every frame start (the risky places)."""
    return [[offset + d] for offset in capture.frame_offsets() for d in range(-spread, spread + 1)]
