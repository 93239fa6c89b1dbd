"""Defaults that a compliance profile puts on a new campaign (an operator may be stricter).

US: FTC TSR / FCC, 3 % of live answers per campaign over 30 days, calls
08:00-21:00 in the called party's time. UK: Ofcom, 3 % over 24 h, same hours.
FR: loi du 24 juillet 2020 / décret 2022-1313, weekdays 10-13 h and 14-20 h,
3 % daily. CN: no statutory abandon cap; 3 % over 24 h and 09:00-20:00 as a
prudent default. These are defaults for the form, not legal advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrator.store.enums import ComplianceProfile

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86400


@dataclass(frozen=True)
class ProfileDefaults:
    abandon_cap: Decimal
    abandon_window_s: int
    calling_hours: dict[str, list[list[str]]]


def _hours(days: tuple[str, ...], *spans: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {d: [list(s) for s in spans] for d in days}


PROFILES: dict[ComplianceProfile, ProfileDefaults] = {
    ComplianceProfile.US: ProfileDefaults(Decimal("0.03"), 30 * DAY_S, _hours(WEEKDAYS, ("08:00", "21:00"))),
    ComplianceProfile.UK: ProfileDefaults(Decimal("0.03"), DAY_S, _hours(WEEKDAYS, ("08:00", "21:00"))),
    ComplianceProfile.FR: ProfileDefaults(
        Decimal("0.03"), DAY_S, _hours(WEEKDAYS[:5], ("10:00", "13:00"), ("14:00", "20:00"))
    ),
    ComplianceProfile.CN: ProfileDefaults(Decimal("0.03"), DAY_S, _hours(WEEKDAYS, ("09:00", "20:00"))),
}
