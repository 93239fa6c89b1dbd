"""Leads and sales benchmark (issue 15), on PostgreSQL.

    .venv/bin/python -m bench.leads [--quick] [--orders 40000]

Measured so far: ``commission_month_s``, a month's commission statement for
the 61 people of the reference centre (48 agents in 6 teams, their 6 team
leaders, 1 director, 6 support staff sharing the others' part), computed the
way the payroll export computes it (``web.sales.services.payroll_rows``: the
month's order lines and refunds read in SQL, the arithmetic in
``orchestrator.sales.commission``), over ``--orders`` order lines sold in the
month plus as many in the month before, 3 % of all of them half refunded during the month.
Target: at most 5 s.

NOT measured yet: ``distribute_100k_s`` and ``purge_100k_s`` (vendors,
purchases, distribution and destruction, items 1-4 of issue 15, are not built
on this branch). The RESULT line says ``not-measured`` for them rather than a
number. ``--quick`` (a few seconds) uses a tenth of the orders.

The last line is ``RESULT leads distribute_100k_s=not-measured purge_100k_s=not-measured
commission_month_s=<s>``.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from sqlalchemy import text

from bench.db_claim import postgres_url
from store import migrate
from store.db import make_engine, session_factory
from store.enums import UserRole
from store.models import Agent, Campaign, Product, Team, User
from web.sales.services import CommissionScope, payroll_rows

MONTH = date(2026, 11, 1)
SUPPORT = [UserRole.SUPERVISOR] * 2 + [UserRole.QA] * 2 + [UserRole.TRAINER, UserRole.DATA_MANAGER]


def build(url: str, orders: int) -> int:
    """The centre and its orders; returns the director's user id."""
    migrate.upgrade(url, "head")
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as s:
            director = User(username="director", password_hash="-", role=UserRole.DIRECTOR)
            s.add(director)
            s.add_all(User(username=f"staff{i}", password_hash="-", role=r) for i, r in enumerate(SUPPORT))
            teams = [Team(name=f"Team {t + 1}",
                          leader=User(username=f"lead{t + 1}", password_hash="-", role=UserRole.TEAM_LEADER))
                     for t in range(6)]
            s.add_all(Agent(user=User(username=f"agent{i + 1:02d}", password_hash="-", role=UserRole.AGENT),
                            team=teams[i // 8]) for i in range(48))
            s.add_all(Product(name=f"P{i}", price=100 + 25 * i) for i in range(8))
            s.add(Campaign(name="C", mode="predictive", compliance_profile="cn"))
            s.flush()
            director_id = director.id
        with engine.begin() as conn:
            # Order lines over two months (the earlier one only gives refunds something to refund).
            conn.execute(text("""
                INSERT INTO orders (agent_id, team_id, campaign_id, product_id, quantity, amount, payment,
                                    sold_at, created_at)
                SELECT a.id, a.team_id, 1, 1 + g % 8, 1, 100 + (g * 37) % 100 + (g % 100) / 100.0, 'paid',
                       CAST(:start AS timestamptz) - interval '30 days' + (g % 60) * interval '1 day'
                       + (g % 480) * interval '1 minute', now()
                FROM generate_series(1, :n) AS g JOIN agents a ON a.id = 1 + g % 48
            """), {"n": 2 * orders, "start": MONTH.isoformat()})
            conn.execute(text("""
                INSERT INTO order_refunds (order_id, amount, refunded_at, cancels, reason, created_at)
                SELECT id, round(amount / 2, 2), CAST(:start AS timestamptz) + (id % 28) * interval '1 day',
                       false, '', now()
                FROM orders WHERE id % 33 = 0
            """), {"start": MONTH.isoformat()})
            conn.execute(text("ANALYZE"))
        return director_id
    finally:
        engine.dispose()


def commission_month(url: str, director_id: int) -> tuple[float, int]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            started = time.perf_counter()
            rows = payroll_rows(s, MONTH, CommissionScope(director_id, None))
            return time.perf_counter() - started, len(rows)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--orders", type=int, default=40_000, help="order lines sold in the month")
    args = parser.parse_args()
    orders = args.orders // 10 if args.quick else args.orders
    with postgres_url() as url:
        director_id = build(url, orders)
        seconds, people = commission_month(url, director_id)
    print(f"commission statement of {MONTH:%Y-%m}: {people} people, ~{orders:,} order lines, {seconds:.2f} s")
    print("RESULT leads distribute_100k_s=not-measured purge_100k_s=not-measured "
          f"commission_month_s={seconds:.2f}")


if __name__ == "__main__":
    main()
