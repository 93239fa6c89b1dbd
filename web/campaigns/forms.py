"""Text fields of the campaign form <-> structured settings (pure, so they are unit tested).

Supervisors edit rules as short lines rather than nested widgets:

* calling hours: ``mon-fri 09:00-13:00 14:00-20:00`` (one line per day group)
* retry rules:   ``busy 1800 3``  (outcome, delay in seconds, optional max attempts)
* dispositions:  ``SALE Sale +sale +amount`` (code, label, flags: +sale
  +amount +callback +notfinal), then optionally ``sms: <text>``: the SMS the
  lead gets when an agent saves it (merge fields from the lead, e.g.
  ``sms: Thank you {first_name}, order {ref} is confirmed``)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from orchestrator.messaging import text as sms_text
from provisioning.kannel import MAX_PARTS
from store.enums import Outcome
from store.models import Disposition
from web.campaigns.profiles import WEEKDAYS

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FLAGS = ("+sale", "+amount", "+callback", "+notfinal")
SMS = "sms:"


class FormError(ValueError):
    pass


def _days(spec: str) -> list[str]:
    days: list[str] = []
    for part in spec.lower().split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in WEEKDAYS or b not in WEEKDAYS:
                raise FormError(f"unknown day range {part!r}")
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            days += list(WEEKDAYS[i : j + 1]) if i <= j else list(WEEKDAYS[i:] + WEEKDAYS[: j + 1])
        elif part in WEEKDAYS:
            days.append(part)
        else:
            raise FormError(f"unknown day {part!r}")
    return days


def _span(text: str) -> list[str]:
    start, _, end = text.partition("-")
    if not (_TIME.match(start) and _TIME.match(end)) or start >= end:
        raise FormError(f"bad time span {text!r} (want HH:MM-HH:MM)")
    return [start, end]


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {}
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        days, *spans = line.split()
        if not spans:
            raise FormError(f"no hours on line {line!r}")
        for day in _days(days):
            hours.setdefault(day, []).extend(_span(s) for s in spans)
    return hours


def format_hours(hours: dict[str, list[list[str]]]) -> str:
    return "\n".join(f"{d} " + " ".join(f"{a}-{b}" for a, b in hours[d]) for d in WEEKDAYS if hours.get(d))


@dataclass(frozen=True)
class RetrySpec:
    outcome: Outcome
    delay_s: int
    max_attempts: int | None  # None: only the campaign's overall max attempts


def parse_retries(text: str) -> list[RetrySpec]:
    specs: dict[Outcome, RetrySpec] = {}
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        parts = line.split()
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            outcome, delay = Outcome(parts[0]), int(parts[1])
            count = int(parts[2]) if len(parts) == 3 else None
        except ValueError:
            raise FormError(f"bad retry rule {line!r} (want: outcome delay_s [max_attempts])") from None
        if delay < 0 or (count is not None and count < 1):
            raise FormError(f"bad retry rule {line!r}")
        specs[outcome] = RetrySpec(outcome, delay, count)
    return list(specs.values())


@dataclass(frozen=True)
class DispositionSpec:
    code: str
    label: str
    is_sale: bool = False
    asks_amount: bool = False
    schedules_callback: bool = False
    is_final: bool = True
    sms_template: str = ""


def _sms(line: str, marked: bool, template: str) -> str:
    """A disposition line's SMS template, checked (empty: no SMS)."""
    template = template.strip()
    if marked and not template:
        raise FormError(f"bad disposition {line!r}: {SMS} needs the text of the message")
    try:
        sms_text.check(template, MAX_PARTS)
    except sms_text.TemplateError as exc:
        raise FormError(f"bad disposition {line!r}: SMS {exc}") from None
    return template


def parse_dispositions(text: str) -> list[DispositionSpec]:
    specs: dict[str, DispositionSpec] = {}
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        head, marked, template = line.partition(f" {SMS}")
        words = head.split()
        flags = {w for w in words if w.startswith("+")}
        rest = [w for w in words if not w.startswith("+")]
        if not rest or not _CODE.match(rest[0]) or flags - set(FLAGS):
            raise FormError(f"bad disposition {line!r} (want: CODE Label [{' '.join(FLAGS)}])")
        specs[rest[0]] = DispositionSpec(
            rest[0],
            " ".join(rest[1:]) or rest[0],
            "+sale" in flags,
            "+amount" in flags,
            "+callback" in flags,
            "+notfinal" not in flags and "+callback" not in flags,
            _sms(line, bool(marked), template),
        )
    return list(specs.values())


def format_disposition(d: DispositionSpec | Disposition) -> str:
    """The form's line for a disposition (what :func:`parse_dispositions` reads back)."""
    flags = [
        f
        for f, on in (("+sale", d.is_sale), ("+amount", d.asks_amount), ("+callback", d.schedules_callback))
        if on
    ]
    if not d.is_final and not d.schedules_callback:
        flags.append("+notfinal")
    return " ".join([d.code, d.label, *flags, *([SMS, d.sms_template] if d.sms_template else [])])


@dataclass(frozen=True)
class ScheduleSpec:
    """When the scheduler runs the campaign: on ``days`` from ``start`` to ``stop`` (zone ``tz``)."""

    days: tuple[str, ...]
    start: str
    stop: str
    tz: str = "UTC"
    first_date: str = ""  # ISO date, inclusive; empty: from now
    last_date: str = ""  # ISO date, inclusive; empty: no end

    def as_json(self) -> dict[str, object]:
        return {
            "days": list(self.days),
            "start": self.start,
            "stop": self.stop,
            "tz": self.tz,
            "first_date": self.first_date,
            "last_date": self.last_date,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduleSpec | None:
        if not data or not data.get("days"):
            return None
        return cls(
            tuple(data["days"]),
            str(data["start"]),
            str(data["stop"]),
            str(data.get("tz") or "UTC"),
            str(data.get("first_date") or ""),
            str(data.get("last_date") or ""),
        )


def parse_schedule(
    days: list[str], start: str, stop: str, tz: str, first: str, last: str
) -> ScheduleSpec | None:
    """The schedule part of the form; no day ticked means no schedule."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not days:
        return None
    if any(d not in WEEKDAYS for d in days):
        raise FormError("unknown weekday in schedule")
    _span(f"{start}-{stop}")
    try:
        ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError(f"unknown time zone {tz!r}") from None
    for value in (first, last):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise FormError(f"bad date {value!r}") from None
    if first and last and first > last:
        raise FormError("schedule ends before it starts")
    return ScheduleSpec(tuple(d for d in WEEKDAYS if d in days), start, stop, tz or "UTC", first, last)
