"""Report figures, aggregated in SQL on both databases (attempts and the agent state log can be large).

Definitions:
* dials: attempts handled by the agent (preview dials and connected calls);
* connects: attempts bridged to the agent;
* talk time: bridged -> ended, summed;
* occupancy: (on call + wrap-up) / (ready + reserved + on call + wrap-up), from
  the agent state log clipped to the period: the share of available time spent
  working on calls (pauses excluded).
Days are UTC days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.orm import Session

from store.enums import AgentState
from store.models import Agent, AgentStateLog, Attempt, Campaign, Disposition, Team, User
from store.sales import sold_per_attempt, utc_day
from store.types import UtcDateTime
from web.auth.roles import within

BUSY = (AgentState.ON_CALL, AgentState.WRAP_UP)
AVAILABLE = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


#: What a report row is: one agent, one team, one campaign or one hour of the day (UTC).
GROUPS = ("agent", "team", "campaign", "hour")
#: Groups of people: their figures count only the attempts an agent handled, and have an occupancy.
PEOPLE = ("agent", "team")


def _group_key(session: Session, group: str) -> Any:
    if group == "team":
        return Team.name
    if group == "campaign":
        return Campaign.name
    if group == "hour":
        if session.get_bind().dialect.name == "sqlite":
            return func.strftime("%H:00", Attempt.created_at)
        return func.to_char(func.timezone("UTC", Attempt.created_at), "HH24:00")
    return User.username


def _attempts(query: Any, group: str) -> Any:
    """``query`` over attempts with their agent, team and campaign: per person, only the attempts an
    agent handled; per campaign or hour, every attempt (a predictive dial nobody took counts too)."""
    query = query.select_from(Attempt).join(Campaign, Campaign.id == Attempt.campaign_id)
    if group in PEOPLE:
        query = query.join(Agent, Agent.id == Attempt.agent_id).join(User, User.id == Agent.user_id)
    else:
        query = (query.outerjoin(Agent, Agent.id == Attempt.agent_id)
                 .outerjoin(User, User.id == Agent.user_id))
    return query.outerjoin(Team, Team.id == Agent.team_id)


def volume(
    session: Session, period: Period, group: str, daily: bool, teams: frozenset[int] | None
) -> list[dict[str, Any]]:
    """Dials, connects, talk, sales and (per agent or team) occupancy by ``group`` (:data:`GROUPS`);
    ``teams``: the caller's scope (per campaign or hour too: their agents' attempts only)."""
    key = _group_key(session, group)
    sold = sold_per_attempt(period.start)
    day = utc_day(session, Attempt.created_at) if daily else None
    columns = [key, day] if daily else [key]
    query = (
        select(
            *columns,
            func.count(),
            func.count(Attempt.bridged_at),
            func.coalesce(
                func.sum(
                    case(
                        (
                            Attempt.bridged_at.is_not(None),
                            seconds_between(session, Attempt.bridged_at, Attempt.ended_at),
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
            func.sum(case((Disposition.is_sale, 1), else_=0)),
            func.coalesce(func.sum(sold.c.amount), 0),
        )
    )
    query = (
        _attempts(query, group)
        .outerjoin(Disposition, Disposition.id == Attempt.disposition_id)
        .outerjoin(sold, sold.c.attempt_id == Attempt.id)
        .where(Attempt.created_at >= period.start, Attempt.created_at < period.end)
        .where(within(teams, Agent.team_id))
        .group_by(*columns)
        .order_by(*columns)
    )
    occupancy = _occupancy(session, period, group, daily, teams) if group in PEOPLE else {}
    rows = []
    for values in session.execute(query):
        name, rest = values[0] or "(no team)", values[1:]
        the_day = str(rest[0]) if daily else ""
        dials, connects, talk, sales, amount = rest[1:] if daily else rest
        rows.append(
            {
                "name": name,
                "day": the_day,
                "dials": dials,
                "connects": connects,
                "talk_s": round(talk or 0),
                "sales": int(sales or 0),
                "amount": Decimal(str(amount or 0)),
                "occupancy": occupancy.get((name, the_day)),
            }
        )
    return rows


class ClippedStates:
    """The agent state log's intervals clipped to ``period`` (and to now, for open ones), in SQL on
    both databases: ``start`` and ``end`` of the clipped interval, its ``seconds``, and the WHERE
    clause of the intervals that overlap the period."""

    def __init__(self, session: Session, period: Period, now: datetime | None = None) -> None:
        lo = literal(period.start, UtcDateTime)
        hi = literal(min(period.end, now or datetime.now(UTC)), UtcDateTime)
        self.start: ColumnElement[datetime]
        self.end: ColumnElement[datetime]
        if session.get_bind().dialect.name == "sqlite":
            self.start = func.max(AgentStateLog.started_at, lo)
            self.end = func.min(func.coalesce(AgentStateLog.ended_at, hi), hi)
        else:
            self.start = func.greatest(AgentStateLog.started_at, lo)
            self.end = func.least(func.coalesce(AgentStateLog.ended_at, hi), hi)
        self.seconds = seconds_between(session, self.start, self.end)
        self.overlaps = (AgentStateLog.started_at < hi) & or_(AgentStateLog.ended_at.is_(None),
                                                              AgentStateLog.ended_at > lo)


def _occupancy(
    session: Session, period: Period, group: str, daily: bool, teams: frozenset[int] | None
) -> dict[tuple[str, str], float]:
    """(name, day) -> occupancy, summed in SQL over state intervals clipped to the period.

    With ``daily``, an interval counts for the day it starts in (intervals are
    minutes long; one spanning midnight is not split).
    """
    key = _group_key(session, group)
    clip = ClippedStates(session, period)
    columns = [key, utc_day(session, clip.start)] if daily else [key]
    query = (
        select(
            *columns,
            func.sum(clip.seconds),
            func.sum(case((AgentStateLog.state.in_(BUSY), clip.seconds), else_=0)),
        )
        .select_from(AgentStateLog)
        .join(Agent, Agent.id == AgentStateLog.agent_id)
        .join(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(AgentStateLog.state.in_(AVAILABLE), clip.overlaps)
        .where(within(teams, Agent.team_id))
        .group_by(*columns)
    )
    out = {}
    for row in session.execute(query):
        name, day = row[0] or "(no team)", str(row[1]) if daily else ""
        available, busy = row[-2], row[-1]
        if available and available > 0:
            out[(name, day)] = float(busy or 0) / float(available)
    return out


def sales_by_disposition(
    session: Session, period: Period, group: str, teams: frozenset[int] | None
) -> list[dict[str, Any]]:
    key, sold = _group_key(session, group), sold_per_attempt(period.start)
    query = (
        _attempts(select(key, Disposition.label, func.count(), func.coalesce(func.sum(sold.c.amount), 0)),
                  group)
        .join(Disposition, Disposition.id == Attempt.disposition_id)
        .outerjoin(sold, sold.c.attempt_id == Attempt.id)
        .where(Attempt.created_at >= period.start, Attempt.created_at < period.end)
        .where(within(teams, Agent.team_id))
        .group_by(key, Disposition.label)
        .order_by(key, Disposition.label)
    )
    return [
        {
            "name": name or "(no team)",
            "disposition": label,
            "count": count,
            "amount": Decimal(str(amount or 0)),
        }
        for name, label, count, amount in session.execute(query)
    ]


def outcomes(session: Session, period: Period, teams: frozenset[int] | None) -> list[dict[str, Any]]:
    """Attempts per campaign by the dialer's outcome (connected, busy, no answer, machine ...; one
    still open: "in progress"); ``teams``: their agents' attempts only, as in :func:`volume`."""
    query = (
        _attempts(select(Campaign.name, Attempt.outcome, func.count()), "campaign")
        .where(Attempt.created_at >= period.start, Attempt.created_at < period.end)
        .where(within(teams, Agent.team_id))
        .group_by(Campaign.name, Attempt.outcome)
        .order_by(Campaign.name, Attempt.outcome)
    )
    return [{"name": name, "count": n,
             "outcome": outcome.value.replace("_", " ") if outcome else "in progress"}
            for name, outcome, n in session.execute(query)]
