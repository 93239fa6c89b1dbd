"""Bounds and plausibility checks for the campaign form: each failure is a clear ``FormError``.

Every duration has a range a campaign can sensibly use, well inside what
date arithmetic holds (the core also clamps, see
``orchestrator.leads.rules.clamp_duration``). A caller ID must be a phone
number ``phonenumbers`` accepts; a trunk one of the trunks (whose names
the PBX takes verbatim and no seat shares). Compliance settings may be
stricter than the profile, never looser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.compliance import ProfileRules
from orchestrator.leads.hours import CallingHours
from store.enums import CampaignMode, ComplianceProfile
from store.models import Trunk
from web.campaigns.forms import FormError, RetrySpec
from web.campaigns.profiles import describe_hours

MINUTE, HOUR, DAY = 60, 3600, 86400
CALLER_ID_MAX = 32  # the column's length; an E.164 number is at most 16
TRUNK_MAX = 64
_TRUNK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")
#: Where a caller ID written without "+" is read as a national number.
_REGION = {ComplianceProfile.US: "US", ComplianceProfile.UK: "GB", ComplianceProfile.FR: "FR",
           ComplianceProfile.CN: "CN"}


@dataclass(frozen=True)
class Duration:
    """One duration field of the form, in seconds, with its allowed range."""

    what: str
    low: int
    high: int

    def check(self, value: int) -> int:
        if not self.low <= value <= self.high:
            raise FormError(f"{self.what} must be between {_human(self.low)} and {_human(self.high)} "
                            f"(got {value} s)")
        return value


def _human(seconds: int) -> str:
    for unit, size in (("day", DAY), ("hour", HOUR), ("minute", MINUTE)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{seconds} s"


RING_TIMEOUT = Duration("ring timeout", 5, 120)
WRAP_UP = Duration("wrap-up", 0, 10 * MINUTE)
RETRY_DELAY = Duration("retry delay", 0, 90 * DAY)
ABANDON_WINDOW = Duration("abandon window", HOUR, 30 * DAY)
ABANDON_NO_RECALL = Duration("no recall after an abandon", 0, 90 * DAY)


def retries(specs: list[RetrySpec]) -> list[RetrySpec]:
    for spec in specs:
        delay = Duration(f"retry delay for {spec.outcome.value}", RETRY_DELAY.low, RETRY_DELAY.high)
        delay.check(spec.delay_s)
        if spec.max_attempts is not None and not 1 <= spec.max_attempts <= 100:
            raise FormError(f"max attempts for {spec.outcome.value} must be between 1 and 100")
    return specs


def caller_id(raw: str, profile: ComplianceProfile) -> str:
    """Empty, or the number in E.164 (a national number is read in the profile's country)."""
    text = raw.strip()
    if not text:
        return ""
    if len(text) > CALLER_ID_MAX:
        raise FormError(f"caller ID is too long (at most {CALLER_ID_MAX} characters)")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else _REGION[profile])
    except phonenumbers.NumberParseException:
        raise FormError(f"caller ID {text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise FormError(f"caller ID {text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def trunk(session: Session, raw: str) -> str:
    """Empty (the node's default), or the name of one of the trunks (Trunks page)."""
    name = raw.strip()
    if not name:
        return ""
    if len(name) > TRUNK_MAX or not _TRUNK.match(name):
        raise FormError(f"trunk must be a name of letters, digits, '.', '_' or '-' "
                        f"(at most {TRUNK_MAX} characters), not {name[:TRUNK_MAX]!r}")
    if session.scalar(select(Trunk.id).where(Trunk.name == name)) is None:
        raise FormError(f"there is no trunk {name!r}: add it on the Trunks page first")
    return name


def abandon_cap(cap: Decimal, rules: ProfileRules) -> Decimal:
    if cap > Decimal(str(rules.abandon_cap)):
        raise FormError(f"abandon cap {cap * 100:.2f} % is above the {rules.profile.value.upper()} "
                        f"profile's {rules.abandon_cap * 100:.0f} %")
    return cap


def no_recall(seconds: int, rules: ProfileRules) -> int:
    ABANDON_NO_RECALL.check(seconds)
    if seconds < rules.min_abandon_no_recall_s:
        raise FormError(f"the {rules.profile.value.upper()} profile forbids calling an abandoned number back "
                        f"for {_human(int(rules.min_abandon_no_recall_s))}")
    return seconds


def hours(table: dict[str, list[list[str]]], rules: ProfileRules) -> dict[str, list[list[str]]]:
    """The campaign's calling hours, which must lie inside the profile's."""
    if not CallingHours.from_table(table).within(rules.calling_hours):
        allowed = describe_hours(rules.calling_hours.table())
        raise FormError(f"calling hours go outside the {rules.profile.value.upper()} profile's ({allowed})")
    return table


def abandon_message(mode: CampaignMode, has_message: bool, rules: ProfileRules) -> None:
    """A predictive dialer abandons some calls; where the profile says so, they must hear a message."""
    if rules.requires_abandon_message and mode in (CampaignMode.PREDICTIVE, CampaignMode.BLENDED) \
            and not has_message:
        raise FormError(f"the {rules.profile.value.upper()} profile requires an abandon message "
                        "(text or recording) for a predictive campaign")
