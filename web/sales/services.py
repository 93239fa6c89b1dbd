"""Sales against target and commission statements, read within the reader's scope.

The scope is part of every query (``CommissionScope.orders``): an agent's
statement loads only the orders they sold, a team leader's only their teams'
orders, the director's (``ALL_TEAMS``) every order. The arithmetic is the
core's (``orchestrator.sales.commission``); this module only reads and shapes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from orchestrator.sales.commission import Staff, Statement, lines, statements
from store import sales as store_sales
from store.enums import UserRole
from store.models import Agent, Attempt, Order, OrderRefund, Team, User
from web.auth.roles import within

#: Who shares the "others" part of commission: the centre's staff besides agents, team leaders and the
#: director (admin and sysadmin accounts run the system and earn none).
OTHERS_ROLES = (UserRole.SUPERVISOR, UserRole.QA, UserRole.TRAINER, UserRole.DATA_MANAGER)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CommissionScope:
    """Whose commission a reader sees: ``teams`` None is everyone; else their own and those teams'."""

    user_id: int
    teams: frozenset[int] | None

    def orders(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on ``Order``/``Agent`` that load only orders within the scope."""
        if self.teams is None:
            return []
        if self.teams:
            return [Order.team_id.in_(self.teams)]
        return [Agent.user_id == self.user_id]

    def people(self, session: Session) -> set[int] | None:
        """Whose statements the reader sees (None: everyone's)."""
        if self.teams is None:
            return None
        mine = {self.user_id}
        if self.teams:
            mine |= set(session.scalars(select(Agent.user_id).where(Agent.team_id.in_(self.teams))))
        return mine


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(), UTC), datetime.combine(following, time(), UTC)


def staff(session: Session) -> Staff:
    def active(*roles: UserRole) -> list[int]:
        query = select(User.id).where(User.active, User.role.in_(roles)).order_by(User.id)
        return list(session.scalars(query))

    return Staff(directors=active(UserRole.DIRECTOR), others=active(*OTHERS_ROLES))


def month_statements(session: Session, month: date, scope: CommissionScope) -> dict[int, Statement]:
    """Each person's statement for the month (sales sold and refunds made in it), within the scope."""
    start, end = month_bounds(month)
    moved = store_sales.movements(session, start, end, scope.orders())
    return statements(lines(moved, store_sales.rules(session), staff(session)), scope.people(session))


def names(session: Session, people: set[int] | list[int]) -> dict[int, tuple[str, str, str]]:
    """user id -> (user name, display name or user name, role)."""
    rows = session.execute(
        select(User.id, User.display_name, User.username, User.role).where(User.id.in_(list(people)))
    )
    return {uid: (username, display or username, role.value) for uid, display, username, role in rows}


PAYROLL_HEADER = ("month", "user", "name", "role", "earned", "clawed_back", "payable")


def payroll_rows(session: Session, month: date, scope: CommissionScope) -> list[tuple[object, ...]]:
    """One row per person: what the month earned, what refunds clawed back, and what is paid."""
    by_person = month_statements(session, month, scope)
    who = names(session, list(by_person))
    label = month.strftime("%Y-%m")
    return [(label, *who[p], s.earned, s.clawed_back, s.payable) for p, s in by_person.items()]


def sales_vs_target(
    session: Session, first: date, last: date, teams: frozenset[int] | None, target: Decimal
) -> list[dict[str, Any]]:
    """Per agent and UTC day: sold, refunded, net and the day's target.

    An agent-day is a day the agent dialed (an attempt) or sold: the target is
    ``target`` for each, so a day off is not a day short.
    """
    start, end = datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)
    key = (User.username, Team.name)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def row(name: str, team: str | None, day: object) -> dict[str, Any]:
        k = (name, team or "(no team)", str(day))
        return rows.setdefault(k, {"agent": k[0], "team": k[1], "day": k[2], "sold": ZERO, "refunded": ZERO})

    attempt_day = store_sales.utc_day(session, Attempt.created_at)
    worked = (
        select(*key, attempt_day)
        .join(Agent, Agent.id == Attempt.agent_id).join(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(Attempt.created_at >= start, Attempt.created_at < end, within(teams, Agent.team_id))
        .group_by(*key, attempt_day)
    )
    for name, team, day in session.execute(worked):
        row(name, team, day)
    sold_day = store_sales.utc_day(session, Order.sold_at)
    sold = (
        select(*key, sold_day, func.sum(Order.amount))
        .join(Agent, Agent.id == Order.agent_id).join(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == Order.team_id)
        .where(Order.sold_at >= start, Order.sold_at < end, within(teams, Order.team_id))
        .group_by(*key, sold_day)
    )
    for name, team, day, amount in session.execute(sold):
        row(name, team, day)["sold"] += Decimal(amount)
    refund_day = store_sales.utc_day(session, OrderRefund.refunded_at)
    refunded = (
        select(*key, refund_day, func.sum(OrderRefund.amount))
        .join(Order, Order.id == OrderRefund.order_id)
        .join(Agent, Agent.id == Order.agent_id).join(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == Order.team_id)
        .where(OrderRefund.refunded_at >= start, OrderRefund.refunded_at < end, within(teams, Order.team_id))
        .group_by(*key, refund_day)
    )
    for name, team, day, amount in session.execute(refunded):
        row(name, team, day)["refunded"] += Decimal(amount)
    out = []
    for k in sorted(rows):
        r = rows[k]
        r["net"] = r["sold"] - r["refunded"]
        r["target"] = target
        r["reached"] = r["net"] >= target
        out.append(r)
    return out


def over_period(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Agent-day rows (:func:`sales_vs_target`) summed over the period per ``key`` ("agent" or
    "team"): net sales and the target (one agent target per agent-day), for a chart."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"net": ZERO, "target": ZERO})
    for r in rows:
        for field in ("net", "target"):
            totals[r[key]][field] += r[field]
    return [{key: name, **t} for name, t in sorted(totals.items())]


def by_team(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agent-day rows summed per team and day (the team's target: one agent target per agent-day)."""
    teams: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"sold": ZERO, "refunded": ZERO, "net": ZERO, "target": ZERO, "agent_days": 0}
    )
    for r in rows:
        t = teams[(r["team"], r["day"])]
        for field in ("sold", "refunded", "net", "target"):
            t[field] += r[field]
        t["agent_days"] += 1
    return [
        {"team": team, "day": day, **t, "reached": t["net"] >= t["target"]}
        for (team, day), t in sorted(teams.items())
    ]
