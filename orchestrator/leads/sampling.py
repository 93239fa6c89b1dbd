"""Sample testing of a purchased batch: how many records to dial first, and whether the batch passes.

A vendor's batch is released to the teams only after a random sample of it
was dialed and measured. The sample is sized like a survey: the number of
records that estimates a proportion (valid numbers, contacts) within
``margin`` at ``confidence``, with the worst-case proportion 0.5, corrected
for the finite batch (a 200-record batch needs 132, not 385). The verdict
compares the measured rates with the buyer's thresholds and says every reason
a batch fails, so the director sees why, not just "rejected".

Pure: no database, no web; the store counts, this decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def sample_size(population: int, margin: float = 0.05, confidence: float = 0.95, p: float = 0.5) -> int:
    """Records to dial out of ``population`` for ±``margin`` at ``confidence`` (Cochran, finite-corrected).

    n0 = z² p (1 - p) / e², n = n0 / (1 + (n0 - 1) / N), rounded up; never more than the batch.
    """
    if population < 0:
        raise ValueError("a batch cannot hold fewer than 0 records")
    if not 0 < margin < 1 or not 0 < confidence < 1 or not 0 < p < 1:
        raise ValueError("margin, confidence and p must lie strictly between 0 and 1")
    if population == 0:
        return 0
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    n0 = z * z * p * (1 - p) / (margin * margin)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


@dataclass(frozen=True, slots=True)
class SampleCounts:
    """What the sample's dialing gave, counted per record (a record dialed three times counts once)."""

    size: int  # records drawn into the sample
    dialed: int  # records with at least one charged attempt that ended
    valid: int  # dialed records whose number was not found invalid
    connected: int  # records where a live person was connected to an agent
    right_party: int  # connected records the agent marked as the right person (or a sale)
    dnc: int  # records on the do-not-call list (when drawn or since)


@dataclass(frozen=True, slots=True)
class SampleRates:
    valid: float  # valid / dialed
    connect: float  # connected / dialed
    right_party: float  # right_party / connected
    dnc: float  # dnc / size

    @classmethod
    def of(cls, c: SampleCounts) -> SampleRates:
        return cls(
            _ratio(c.valid, c.dialed),
            _ratio(c.connected, c.dialed),
            _ratio(c.right_party, c.connected),
            _ratio(c.dnc, c.size),
        )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The buyer's bar for a batch (the defaults suit the reference customer's "good data")."""

    min_valid: float = 0.80
    min_connect: float = 0.30
    min_right_party: float = 0.50
    max_dnc: float = 0.05
    min_dialed_share: float = 1.0  # of the sample, dialed before a verdict is trusted


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    complete: bool  # enough of the sample was dialed to judge
    rates: SampleRates
    reasons: tuple[str, ...]  # why it fails (empty: it passes)


def judge(counts: SampleCounts, thresholds: Thresholds) -> Verdict:
    """Accept only a sample dialed far enough whose every rate meets its threshold."""
    rates = SampleRates.of(counts)
    needed = math.ceil(counts.size * thresholds.min_dialed_share)
    complete = counts.size > 0 and counts.dialed >= needed
    reasons = []
    if not complete:
        reasons.append(f"only {counts.dialed} of the {needed} sample records needed were dialed")
    for name, value, bar, low_fails in (
        ("valid-number rate", rates.valid, thresholds.min_valid, True),
        ("connect rate", rates.connect, thresholds.min_connect, True),
        ("right-party rate", rates.right_party, thresholds.min_right_party, True),
        ("DNC rate", rates.dnc, thresholds.max_dnc, False),
    ):
        if (value < bar) if low_fails else (value > bar):
            word = "below" if low_fails else "above"
            reasons.append(f"{name} {value:.1%} is {word} {bar:.1%}")
    return Verdict(accepted=not reasons, complete=complete, rates=rates, reasons=tuple(reasons))
