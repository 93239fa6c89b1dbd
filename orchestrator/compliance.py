"""The compliance model: what each regulator demands of a campaign, and the abandon rate it is held to.

The profiles (:data:`PROFILES`, the one table the form, the store and the dialer read):

* US (FTC TSR / FCC): at most 3 % of live answers abandoned per campaign
  over 30 days; an abandoned call hears a message within 2 s; calls
  08:00-21:00 in the called party's time.
* UK (Ofcom persistent-misuse policy): 3 % over 24 h, counting the
  estimated AMD false positives as abandons; the message within 2 s; no
  call back to an abandoned number for 72 h.
* FR (loi du 24 juillet 2020, décret 2022-1313): calls on weekdays
  10:00-13:00 and 14:00-20:00 only; at most 4 attempts per number over
  30 days; 3 % over 24 h as the dialer's cap.
* CN: calling hours 09:00-20:00 and call recordings kept at least 30
  days; 3 % over 24 h as a prudent cap.

A campaign may be stricter than its profile (a lower cap, shorter hours,
a longer quiet period) but never looser: the campaign form refuses looser
settings, and the methods of :class:`ProfileRules` hold a stored row to the
profile's cap, windows and quiet period whatever it says.
These are operating defaults, not legal advice.

The abandon rate, counted per campaign over rolling 24 h and 30-day windows
(:class:`AbandonCounter`). US (FTC TSR / FCC): abandons / live answers. UK (Ofcom): abandoned calls
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

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType

from orchestrator.leads.hours import CallingHours
from orchestrator.leads.rules import AttemptLimit, clamp_duration
from orchestrator.pacing.base import AbandonWindow

HOUR = 3600.0
DAY = 86400.0


class ComplianceProfile(StrEnum):
    """The regulator a campaign dials under (the store keeps these values, the web offers them)."""

    US = "us"
    UK = "uk"
    FR = "fr"
    CN = "cn"


@dataclass(frozen=True, slots=True)
class ProfileRules:
    profile: ComplianceProfile
    abandon_cap: float = 0.03  # abandoned / live answers, per window
    abandon_window_s: float = DAY  # the rolling window the cap is enforced over
    counts_amd_false_positives: bool = False  # Ofcom: estimated AMD false positives count as abandons
    abandon_message_after_s: float = 2.0  # a live answer gets an agent or the message within this
    requires_abandon_message: bool = False  # a dialer that may abandon must have a message to play
    abandon_no_recall_s: float = 72 * HOUR  # default quiet period after an abandon
    min_abandon_no_recall_s: float = 0.0  # a floor the campaign cannot go below
    calling_hours: CallingHours = field(default_factory=CallingHours)
    attempt_limit: AttemptLimit | None = None
    min_recording_retention_days: int = 0  # 0: no floor

    # -- a campaign's own settings, held to the profile's floors ---------------------------
    def cap(self, requested: float) -> float:
        """The campaign's abandon cap, never above the profile's."""
        return self.abandon_cap if math.isnan(requested) else min(max(requested, 0.0), self.abandon_cap)

    def windows(self, requested_s: float | None) -> tuple[float, ...]:
        """The rolling windows the cap is enforced over: the profile's, and the campaign's own if it
        names another (both are held, the stricter reading)."""
        own = None if requested_s is None else float(min(max(clamp_duration(requested_s), HOUR), 30 * DAY))
        return tuple(sorted({self.abandon_window_s, own or self.abandon_window_s}))

    def no_recall_s(self, requested: float) -> float:
        """The quiet period after an abandon, never shorter than the profile's floor."""
        return max(clamp_duration(requested), self.min_abandon_no_recall_s)


_WEEKDAYS = range(5)

PROFILES: MappingProxyType[ComplianceProfile, ProfileRules] = MappingProxyType({
    ComplianceProfile.US: ProfileRules(
        ComplianceProfile.US, abandon_window_s=30 * DAY, requires_abandon_message=True,
        calling_hours=CallingHours.daily((time(8), time(21)))),
    ComplianceProfile.UK: ProfileRules(
        ComplianceProfile.UK, abandon_window_s=DAY, counts_amd_false_positives=True,
        requires_abandon_message=True,
        min_abandon_no_recall_s=72 * HOUR, calling_hours=CallingHours.daily((time(8), time(21)))),
    ComplianceProfile.FR: ProfileRules(
        ComplianceProfile.FR, abandon_window_s=DAY,
        calling_hours=CallingHours.daily((time(10), time(13)), (time(14), time(20)), weekdays=_WEEKDAYS),
        attempt_limit=AttemptLimit(4, 30 * DAY)),
    ComplianceProfile.CN: ProfileRules(
        ComplianceProfile.CN, abandon_window_s=DAY,
        calling_hours=CallingHours.daily((time(9), time(20))), min_recording_retention_days=30),
})


def rules_for(profile: ComplianceProfile | str) -> ProfileRules:
    return PROFILES[ComplianceProfile(profile)]


# -- counting abandons ----------------------------------------------------------------------

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


def amd_floor(window: AbandonWindow) -> float:
    """The rate a window would have with no abandon at all: its estimated AMD false positives'
    share. At or over the cap, no pacing can meet the cap with these AMD settings."""
    fp = window.amd_false_positives_estimate
    return fp / (window.live_answers + fp) if window.live_answers + fp > 0 else 0.0


def abandon_rate(window: AbandonWindow) -> float:
    """The regulator's abandon rate for one window (0 when nobody answered yet)."""
    denominator = window.live_answers + window.amd_false_positives_estimate
    if denominator <= 0:
        return 0.0
    return (window.abandons + window.amd_false_positives_estimate) / denominator
