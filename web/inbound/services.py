"""Inbound route operations, independent of Flask: what the form typed, checked, into a row.

A route is read by the runners of its trunk's nodes every second or so
(``runner.queues``): a saved route is answered by the queue without a reload.
Every check gives the user a sentence, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.leads.hours import CallingHours, HoursError
from store.enums import InboundTarget, MaxWait
from store.models import Agent, Campaign, InboundRoute, IvrMenu, Trunk
from web.campaigns.forms import FormError, parse_hours

MAX_WAIT_S = 3600
MAX_HOLIDAYS = 366
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class RouteError(ValueError):
    """The route cannot be saved; the message is for the user."""


@dataclass(frozen=True)
class RouteInput:
    """The form as typed."""

    name: str
    did: str  # "<trunk id>:<DID>", one of a trunk's DIDs
    target: str
    hotline_agent_ids: Sequence[int]
    overflow_agent_ids: Sequence[int]
    overflow_after_s: str
    max_wait_s: str
    hours: str
    timezone: str
    record_calls: bool = True
    holidays: str = ""  # dates, one a line or separated by commas
    enabled: bool = True
    on_max_wait: str = MaxWait.VOICEMAIL.value
    announce_every_s: str = "0"
    announce_wait: bool = True  # an estimated wait after the position
    campaign_id: int | None = None  # whose dispositions the route's answered calls take
    ivr_id: str = ""  # the menu of a route answered by an IVR


#: The shortest interval between two position announcements: the next one would cut the last one short
#: (the caller is moved to the announcement anew), and "You are currently caller number 2, waiting to speak
#: with a representative. The estimated hold time is currently 6 minutes" takes 10 s in Asterisk's prompts.
MIN_ANNOUNCE_EVERY_S = 15


def _seconds(text: str, what: str, low: int) -> int:
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        raise RouteError(f"{what}: a whole number of seconds")
    value = int(raw)
    if not low <= value <= MAX_WAIT_S:
        raise RouteError(f"{what}: between {low} and {MAX_WAIT_S} seconds")
    return value


def _hours(text: str) -> dict[str, list[list[str]]]:
    try:
        table = parse_hours(text)
        CallingHours.from_table(table)
    except (FormError, HoursError) as exc:
        raise RouteError(f"business hours: {exc}") from None
    return table


def _holidays(text: str) -> list[str]:
    """Dates typed one a line (or by commas) as sorted ISO dates; each bad one is named by its place."""
    days = set()
    for n, word in enumerate(text.replace(",", "\n").split(), 1):
        try:
            if not _ISO_DATE.match(word):
                raise ValueError(word)
            days.add(date.fromisoformat(word).isoformat())
        except ValueError:
            raise RouteError(f"holiday {n}: {word[:20]!r} is not a date (YYYY-MM-DD)") from None
    if len(days) > MAX_HOLIDAYS:
        raise RouteError(f"at most {MAX_HOLIDAYS} holidays")
    return sorted(days)


def _timezone(text: str) -> str:
    name = text.strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RouteError(f"unknown time zone {name!r} (e.g. Europe/Paris)") from None
    return name


def _trunk_did(session: Session, choice: str) -> tuple[Trunk, str]:
    trunk_id, _, did = choice.partition(":")
    trunk = session.get(Trunk, int(trunk_id)) if trunk_id.isascii() and trunk_id.isdigit() else None
    if trunk is None or did not in (trunk.dids or []):
        raise RouteError("pick one of the DIDs a trunk delivers (add DIDs on the Trunks page)")
    return trunk, did


def _agents(session: Session, ids: Sequence[int]) -> list[int]:
    known = set(session.scalars(select(Agent.id).where(Agent.id.in_(list(ids) or [0]))))
    if missing := [i for i in ids if i not in known]:
        raise RouteError(f"unknown agent {missing[0]}")
    return list(dict.fromkeys(ids))


def _checked_agents(session: Session, data: RouteInput, target: InboundTarget) -> tuple[list[int], list[int]]:
    hotline = _agents(session, data.hotline_agent_ids)
    overflow = [i for i in _agents(session, data.overflow_agent_ids) if i not in hotline]
    if target is InboundTarget.IVR:
        return [], []  # the menu's keys lead to other routes, answered by their own agents
    if target is InboundTarget.SEAT:
        if len(hotline) != 1:
            raise RouteError("a route to a seat names exactly one agent (as its hotline seat)")
        return hotline, []
    if not hotline and not overflow:
        raise RouteError("a queue needs a hotline seat or a designated outbound agent to answer it")
    return hotline, overflow


def _menu(session: Session, choice: str) -> IvrMenu:
    menu_id = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 10 else 0
    menu = session.get(IvrMenu, menu_id)
    if menu is None:
        raise RouteError("a route answered by an IVR names one of the menus (make them on the IVR page)")
    return menu


def save(session: Session, data: RouteInput, row: InboundRoute | None = None) -> InboundRoute:
    """Create or update a route (flushed, not committed)."""
    name = data.name.strip()
    if not name or len(name) > 64:
        raise RouteError("name: 1 to 64 characters")
    try:
        target = InboundTarget(data.target)
    except ValueError:
        raise RouteError(f"unknown target {data.target!r}") from None
    trunk, did = _trunk_did(session, data.did)
    hotline, overflow = _checked_agents(session, data, target)
    menu = _menu(session, data.ivr_id) if target is InboundTarget.IVR else None
    overflow_after = _seconds(data.overflow_after_s, "overflow after", 0)
    max_wait = _seconds(data.max_wait_s, "longest wait", 1)
    if overflow_after >= max_wait:
        raise RouteError("the longest wait must be longer than the wait before overflow")
    announce_every = _seconds(data.announce_every_s or "0", "position announcement", 0)
    if 0 < announce_every < MIN_ANNOUNCE_EVERY_S:
        raise RouteError(f"position announcement: 0 (never) or at least {MIN_ANNOUNCE_EVERY_S} seconds, so "
                         "one announcement (up to 10 s with the wait) ends before the next")
    if data.campaign_id is not None and session.get(Campaign, data.campaign_id) is None:
        raise RouteError("dispositions: pick one of the campaigns, or none")
    try:
        on_max_wait = MaxWait(data.on_max_wait)
    except ValueError:
        raise RouteError("after the longest wait: voicemail or a callback request") from None
    others = select(InboundRoute).where(InboundRoute.id != row.id) if row else select(InboundRoute)
    if session.scalar(others.where(InboundRoute.name == name)) is not None:
        raise RouteError(f"a route named {name!r} exists already")
    if session.scalar(others.where(InboundRoute.did == did)) is not None:
        raise RouteError(f"DID {did} has a route already")
    if row is None:
        row = InboundRoute()
        session.add(row)
    row.name, row.did, row.trunk_id, row.target = name, did, trunk.id, target
    row.hotline_agent_ids, row.overflow_agent_ids = hotline, overflow
    row.ivr_id = menu.id if menu else None
    row.overflow_after_s, row.max_wait_s, row.on_max_wait = overflow_after, max_wait, on_max_wait
    row.hours, row.timezone = _hours(data.hours), _timezone(data.timezone)
    row.holidays = _holidays(data.holidays)
    row.record_calls, row.enabled = data.record_calls, data.enabled
    row.announce_every_s, row.campaign_id = announce_every, data.campaign_id
    row.announce_wait = data.announce_wait
    session.flush()
    return row
