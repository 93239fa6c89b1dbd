"""Calling hours in the lead's own time zone.

The zone is the lead's explicit field when set, else what ``phonenumbers``
says about the number. A number can map to several zones (a North American
area code spanning two zones, a mobile range): the lead may then be called
only when the hours hold in *every* one of them, the conservative reading of
the rules. Unknown numbers fall back to the campaign's default zone.

Hours are kept per weekday as several windows (France allows 10-13 h and
14-20 h on weekdays: the lunch break is a gap, not one long window), so the
form's table maps onto the core without losing a window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

_UNKNOWN_ZONE = "Etc/Unknown"
_SEARCH_DAYS = 8  # one week plus today: every weekday window has been seen
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time.max  # an end of "24:00": the window runs to midnight

Window = tuple[time, time]  # local [start, end)


class HoursError(ValueError):
    """A calling-hours table the core cannot read (bad day, time, or an empty window)."""


def _clock(text: str) -> time:
    if text == "24:00":
        return END_OF_DAY
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        raise HoursError(f"bad time {text!r} (want HH:MM)") from None


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Local windows [start, end) per weekday (index 0 is Monday; no window: no calls that day)."""

    days: tuple[tuple[Window, ...], ...] = (((time(8, 0), time(21, 0)),),) * 7

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise HoursError("calling hours need one entry per weekday")
        for windows in self.days:
            for start, end in windows:
                if not start < end:
                    raise HoursError(f"empty calling window {start:%H:%M}-{end:%H:%M}")

    @classmethod
    def daily(cls, *windows: Window, weekdays: Iterable[int] = range(7)) -> CallingHours:
        """The same ``windows`` on each of ``weekdays`` (Monday = 0)."""
        allowed = set(weekdays)
        return cls(tuple(_merge(windows) if d in allowed else () for d in range(7)))

    @classmethod
    def from_table(cls, table: Mapping[str, Sequence[Sequence[str]]]) -> CallingHours:
        """``{"mon": [["10:00", "13:00"], ["14:00", "20:00"]], ...}`` (the stored form); ``{}``: any time."""
        if not table:
            return ALWAYS
        unknown = set(table) - set(DAY_NAMES)
        if unknown:
            raise HoursError(f"unknown weekday {sorted(unknown)[0]!r}")
        days = []
        for name in DAY_NAMES:
            spans = []
            for span in table.get(name, ()):
                if len(span) != 2:
                    raise HoursError(f"bad calling window {span!r}")
                start, end = _clock(span[0]), _clock(span[1])
                if not start < end:
                    raise HoursError(f"empty calling window {span[0]}-{span[1]} on {name}")
                spans.append((start, end))
            days.append(_merge(spans))
        return cls(tuple(days))

    def table(self) -> dict[str, list[list[str]]]:
        """The stored form of these hours (days without a window left out)."""
        def text(t: time) -> str:
            return "24:00" if t == END_OF_DAY else t.strftime("%H:%M")
        return {DAY_NAMES[d]: [[text(a), text(b)] for a, b in w] for d, w in enumerate(self.days) if w}

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(d for d, w in enumerate(self.days) if w)

    def allows(self, local: datetime) -> bool:
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.days[local.weekday()])

    def openings(self, weekday: int) -> tuple[time, ...]:
        """Local times a window opens on ``weekday``."""
        return tuple(start for start, _ in self.days[weekday])

    def intersect(self, other: CallingHours) -> CallingHours:
        """The hours both allow (a campaign's own hours inside its profile's)."""
        days = []
        for mine, theirs in zip(self.days, other.days, strict=True):
            spans = [(max(a, c), min(b, d)) for a, b in mine for c, d in theirs]
            days.append(_merge(s for s in spans if s[0] < s[1]))
        return CallingHours(tuple(days))

    def within(self, other: CallingHours) -> bool:
        """True when these hours allow nothing that ``other`` forbids."""
        return self.intersect(other) == CallingHours(tuple(_merge(w) for w in self.days))


def _merge(spans: Iterable[Window]) -> tuple[Window, ...]:
    """Windows sorted, overlapping or touching ones joined (so equal hours compare equal)."""
    merged: list[Window] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


ALWAYS = CallingHours.daily((time(0, 0), END_OF_DAY))


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
    """Epoch seconds of each local window opening in the zone over the next days."""
    today = datetime.fromtimestamp(at, UTC).astimezone(zone).date()
    starts = []
    for d in range(_SEARCH_DAYS):
        day = today + timedelta(days=d)
        starts += [datetime.combine(day, t, tzinfo=zone).timestamp() for t in hours.openings(day.weekday())]
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
