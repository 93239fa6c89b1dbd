"""Sales read from the database: a call's sale amount, sales per agent-day, commission movements.

One definition of "sold": the order lines of a call (``orders``), gross of later
refunds, which are ``order_refunds`` and count on the day they happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, Subquery, cast, func, select
from sqlalchemy.orm import Session, aliased

from orchestrator.sales.commission import Kind, Movement, Rule, Shares
from store.models import Agent, Attempt, CommissionRule, Order, OrderRefund, Team

#: How far the clocks of the hosts that stamp an attempt (the runner) and its order (the web) may
#: disagree, at most: generous, it only widens the range of orders read by an hour.
CLOCK_SKEW = timedelta(hours=1)


def sold_on_attempt() -> Any:
    """The amount sold on a call (its order lines, 0 for none), for a query over ``Attempt``."""
    return (
        select(func.coalesce(func.sum(Order.amount), 0))
        .where(Order.attempt_id == Attempt.id)
        .correlate(Attempt)
        .scalar_subquery()
    )


def sold_per_attempt(since: datetime) -> Subquery:
    """Each attempt's order lines summed (``attempt_id``, ``amount``; attempts without orders have no
    row) for the attempts created at or after ``since``, for an aggregate over many attempts to join
    (outer) instead of :func:`sold_on_attempt`: that sums one attempt's lines per attempt row, a
    million index look-ups in a month's report, where this is one range of ``ix_orders_sold_at`` and a
    hash join.

    An order is sold on its call, so after its attempt was created: the orders of attempts created
    since ``since`` were all sold since then. :data:`CLOCK_SKEW` earlier still, for a web host's clock
    behind the runner's that stamped the attempt."""
    return (
        select(Order.attempt_id.label("attempt_id"), func.sum(Order.amount).label("amount"))
        .where(Order.attempt_id.is_not(None), Order.sold_at >= since - CLOCK_SKEW)
        .group_by(Order.attempt_id)
        .subquery("sold")
    )


def utc_day(session: Session, column: Any) -> Any:
    """A timestamp's UTC date, on both databases (reports count UTC days)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def rules(session: Session) -> list[Rule]:
    return [
        Rule(
            Shares(r.agent_pct, r.leader_pct, r.director_pct, r.others_pct),
            r.first_day, r.last_day, r.product_id, r.campaign_id,
        )
        for r in session.scalars(select(CommissionRule))
    ]


def movements(
    session: Session,
    start: datetime,
    end: datetime,
    where: Iterable[ColumnElement[bool]] = (),
) -> list[Movement]:
    """Sales sold and refunds made in [start, end), as the core's movements (people as user ids).

    ``where``: conditions on ``Order`` (and ``Agent``, the seller) that scope whose orders are read;
    the permission checks pass theirs here, so a statement never loads what its reader may not see.
    """
    leader = aliased(Team)
    conditions = list(where)
    columns = (Order.id, Order.amount, Agent.user_id, leader.leader_id, Order.product_id, Order.campaign_id)
    sold_day = utc_day(session, Order.sold_at)
    sales = session.execute(
        select(*columns, sold_day)
        .outerjoin(Agent, Agent.id == Order.agent_id)
        .outerjoin(leader, leader.id == Order.team_id)
        .where(Order.sold_at >= start, Order.sold_at < end, *conditions)
        .order_by(Order.sold_at, Order.id)
    ).all()
    refunds = session.execute(
        select(Order.id, OrderRefund.amount, Agent.user_id, leader.leader_id, Order.product_id,
               Order.campaign_id, sold_day, utc_day(session, OrderRefund.refunded_at))
        .join(Order, Order.id == OrderRefund.order_id)
        .outerjoin(Agent, Agent.id == Order.agent_id)
        .outerjoin(leader, leader.id == Order.team_id)
        .where(OrderRefund.refunded_at >= start, OrderRefund.refunded_at < end, *conditions)
        .order_by(OrderRefund.refunded_at, OrderRefund.id)
    ).all()
    out = [
        Movement(oid, Kind.SALE, as_date(day), as_date(day), Decimal(amount), agent, lead, product, campaign)
        for oid, amount, agent, lead, product, campaign, day in sales
    ]
    out += [
        Movement(oid, Kind.REFUND, as_date(day), as_date(sold), Decimal(amount), agent, lead, product,
                 campaign)
        for oid, amount, agent, lead, product, campaign, sold, day in refunds
    ]
    return out
