"""Abandon-rate counters per campaign over rolling 24 h and 30-day windows.

US (FTC TSR / FCC): abandons / live answers. UK (Ofcom): abandoned calls
include the *estimated* AMD false positives (live people the detector called
machines and hung up on), which are live calls too, so they are added to both
sides: ``(abandons + fp) / (live + fp)`` with ``fp = machines x the campaign's
estimated false-positive rate``. With ``fp = 0`` both formulas agree, so one
function serves both profiles.

Counts are kept in one-minute buckets: the window edge is at most a minute
early, and the 30-day window is at most 43,200 small buckets per campaign.
:meth:`AbandonCounter.buckets` is what the runner persists (and, summed over
the campaign's nodes from the database, feeds back with :meth:`restore`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.compliance_profiles import DAY, ComplianceProfile, rules_for
from orchestrator.pacing.base import AbandonWindow

__all__ = ["BUCKET_S", "DAY", "WINDOWS", "AbandonCounter", "Bucket", "ComplianceProfile", "abandon_rate"]

WINDOWS = (DAY, 30 * DAY)  # every window a profile may enforce; the longest is what is kept
BUCKET_S = 60.0


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float  # epoch seconds, a multiple of BUCKET_S
    live_answers: int = 0
    abandons: int = 0
    machines: int = 0


class _Rolling:
    """Buckets of one window with running totals, so reading it costs nothing per tick."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.buckets: deque[Bucket] = deque()
        self.totals = Bucket(0.0)

    def add(self, b: Bucket) -> None:
        if self.buckets and self.buckets[-1].start >= b.start:
            # Same minute, or a slightly late PBX timestamp: count it in the newest bucket.
            last = self.buckets.pop()
            self.buckets.append(_plus(last, b, last.start))
        else:
            self.buckets.append(b)
        self.totals = _plus(self.totals, b, 0.0)

    def evict(self, now: float) -> None:
        while self.buckets and self.buckets[0].start + BUCKET_S <= now - self.seconds:
            old = self.buckets.popleft()
            self.totals = Bucket(0.0, self.totals.live_answers - old.live_answers,
                                 self.totals.abandons - old.abandons, self.totals.machines - old.machines)


def _plus(a: Bucket, b: Bucket, start: float) -> Bucket:
    return Bucket(start, a.live_answers + b.live_answers, a.abandons + b.abandons, a.machines + b.machines)


class AbandonCounter:
    """Counts over the rolling ``windows`` (the ones the campaign's cap is enforced over).

    Without ``windows`` it reports both the 24 h and the 30-day window (what
    the simulator's metrics and the wallboard measure); a dialer passes its
    campaign's enforced windows so the brake acts on exactly those. Buckets
    are kept for the longest window either way, so persisting and restoring
    does not depend on the profile.
    """

    def __init__(self, profile: ComplianceProfile = ComplianceProfile.US,
                 amd_false_positive_rate: float = 0.0, *, windows: tuple[float, ...] = WINDOWS) -> None:
        if not 0.0 <= amd_false_positive_rate <= 1.0:
            raise ValueError(f"false-positive rate out of range: {amd_false_positive_rate}")
        if not windows or not all(BUCKET_S <= w <= max(WINDOWS) for w in windows):
            raise ValueError(f"abandon windows must be between {BUCKET_S:.0f} s and 30 days: {windows}")
        self.profile = profile
        self.fp_rate = amd_false_positive_rate
        self._enforced = tuple(sorted(set(windows)))
        self._spans = tuple(sorted(set(self._enforced) | {max(WINDOWS)}))
        self._windows = tuple(_Rolling(s) for s in self._spans)

    def record(self, at: float, *, live_answers: int = 0, abandons: int = 0, machines: int = 0) -> None:
        bucket = Bucket(at - at % BUCKET_S, live_answers, abandons, machines)
        for w in self._windows:
            w.add(bucket)

    def restore(self, buckets: Iterable[Bucket]) -> None:
        """Replace the counts (e.g. with the campaign's sums over all nodes from the database)."""
        self._windows = tuple(_Rolling(s) for s in self._spans)
        for b in sorted(buckets, key=lambda b: b.start):
            self.record(b.start, live_answers=b.live_answers, abandons=b.abandons, machines=b.machines)

    def buckets(self) -> tuple[Bucket, ...]:
        """Every bucket of the longest window, oldest first: what to persist."""
        return tuple(self._windows[-1].buckets)

    def windows(self, now: float) -> tuple[AbandonWindow, ...]:
        """One :class:`AbandonWindow` per enforced rolling window ending at ``now``, shortest first."""
        counts_fp = rules_for(self.profile).counts_amd_false_positives
        result = []
        for w in self._windows:
            w.evict(now)
            if w.seconds not in self._enforced:
                continue
            t = w.totals
            fp = t.machines * self.fp_rate if counts_fp else 0.0
            result.append(AbandonWindow(w.seconds, t.abandons, t.live_answers, fp))
        return tuple(result)


def abandon_rate(window: AbandonWindow) -> float:
    """The regulator's abandon rate for one window (0 when nobody answered yet)."""
    denominator = window.live_answers + window.amd_false_positives_estimate
    if denominator <= 0:
        return 0.0
    return (window.abandons + window.amd_false_positives_estimate) / denominator
