"""Calling hours in the lead's own time zone.

The zone is the lead's explicit field when set, else what ``phonenumbers``
says about the number. A number can map to several zones (a North American
area code spanning two zones, a mobile range): the lead may then be called
only when the hours hold in *every* one of them, the conservative reading of
the rules. Unknown numbers fall back to the campaign's default zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

_UNKNOWN_ZONE = "Etc/Unknown"
_SEARCH_DAYS = 8  # one week plus today: every weekday window has been seen


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Local window [start, end) on the allowed weekdays (Monday = 0)."""

    start: time = time(8, 0)
    end: time = time(21, 0)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(7)))

    def allows(self, local: datetime) -> bool:
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end


def lead_zones(number: str, explicit: str | None, default: str) -> tuple[ZoneInfo, ...]:
    """The zones a lead may be in: its explicit field, else every zone of its number."""
    if explicit:
        try:
            return (ZoneInfo(explicit),)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # a bad field must not make the lead callable at any hour: fall through
    try:
        names = pn_timezone.time_zones_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        names = ()
    names = tuple(n for n in names if n != _UNKNOWN_ZONE) or (default,)
    return tuple(ZoneInfo(n) for n in names)


def _allowed(at: float, zones: tuple[ZoneInfo, ...], hours: CallingHours) -> bool:
    moment = datetime.fromtimestamp(at, UTC)
    return all(hours.allows(moment.astimezone(z)) for z in zones)


def _window_starts(at: float, zone: ZoneInfo, hours: CallingHours) -> list[float]:
    """Epoch seconds of each local window start in the zone over the next days."""
    today = datetime.fromtimestamp(at, UTC).astimezone(zone).date()
    starts = []
    for d in range(_SEARCH_DAYS):
        local = datetime.combine(today + timedelta(days=d), hours.start, tzinfo=zone)
        starts.append(local.timestamp())
    return starts


def next_allowed(at: float, zones: tuple[ZoneInfo, ...], hours: CallingHours) -> float | None:
    """``at`` if calling is allowed now, else the earliest later moment it is (None: never).

    The intersection of the zones' windows opens when the last of them opens,
    so the answer is ``at`` or one of the zones' window starts.
    """
    if _allowed(at, zones, hours):
        return at
    candidates = sorted(s for z in zones for s in _window_starts(at, z, hours) if s > at)
    return next((s for s in candidates if _allowed(s, zones, hours)), None)
