"""What a compliance profile puts on a new campaign, read from the core's one table.

The rules themselves (caps, windows, hours, attempts per number, retention)
are ``orchestrator.compliance.PROFILES``; this only renders them as
the values the form and the campaign row use (a Decimal cap, whole seconds,
the stored hours table). An operator may be stricter, never looser
(``web.campaigns.checks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrator.compliance import rules_for
from orchestrator.leads.hours import DAY_NAMES
from store.enums import ComplianceProfile

WEEKDAYS = DAY_NAMES


@dataclass(frozen=True)
class ComplianceSettings:
    """A campaign's compliance columns: a profile's defaults, or what the form validated."""

    abandon_cap: Decimal
    abandon_window_s: int
    abandon_no_recall_s: int
    calling_hours: dict[str, list[list[str]]]


def defaults(profile: ComplianceProfile) -> ComplianceSettings:
    rules = rules_for(profile)
    return ComplianceSettings(Decimal(str(rules.abandon_cap)), int(rules.abandon_window_s),
                           int(max(rules.abandon_no_recall_s, rules.min_abandon_no_recall_s)),
                           rules.calling_hours.table())


@dataclass(frozen=True)
class ProfileNote:
    name: str
    text: str


def notes() -> list[ProfileNote]:
    """One line per profile for the form, written from the core's rules (so it cannot drift)."""
    out = []
    for profile in ComplianceProfile:
        r = rules_for(profile)
        days = "30 days" if r.abandon_window_s == 30 * 86400 else "24 h"
        parts = [f"abandons ≤ {r.abandon_cap * 100:.0f} % over {days}",
                 f"message within {r.abandon_message_after_s:g} s"]
        if r.counts_amd_false_positives:
            parts.append("AMD false positives counted")
        if r.min_abandon_no_recall_s:
            parts.append(f"no recall for {r.min_abandon_no_recall_s / 3600:g} h after an abandon")
        if r.attempt_limit:
            parts.append(f"{r.attempt_limit.attempts} attempts per number per "
                         f"{r.attempt_limit.window_s / 86400:g} days")
        if r.min_recording_retention_days:
            parts.append(f"recordings kept ≥ {r.min_recording_retention_days} days")
        parts.append(f"hours {describe_hours(r.calling_hours.table())}")
        out.append(ProfileNote(profile.value.upper(), ", ".join(parts)))
    return out


def describe_hours(table: dict[str, list[list[str]]]) -> str:
    """``mon-fri 10:00-13:00 14:00-20:00``: runs of weekdays with the same windows written once."""
    runs: list[tuple[str, str, str]] = []  # first day, last day, windows
    for day in WEEKDAYS:
        spans = " ".join(f"{a}-{b}" for a, b in table.get(day, []))
        if runs and spans and runs[-1][2] == spans and WEEKDAYS.index(runs[-1][1]) == WEEKDAYS.index(day) - 1:
            runs[-1] = (runs[-1][0], day, spans)
        elif spans:
            runs.append((day, day, spans))
    return ", ".join(f"{a}-{b} {s}" if a != b else f"{a} {s}" for a, b, s in runs)
