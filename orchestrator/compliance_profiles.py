"""What each compliance profile demands, in one table that the form, the store and the dialer share.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType

from orchestrator.leads.hours import CallingHours
from orchestrator.leads.rules import AttemptLimit, clamp_duration

HOUR = 3600.0
DAY = 86400.0


class ComplianceProfile(StrEnum):
    """The regulator a campaign dials under: the one definition (the store keeps these values,
    the web offers them, ``orchestrator.compliance`` re-exports it)."""

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
