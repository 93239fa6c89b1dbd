"""Leads and sales benchmark (issue 15), on PostgreSQL.

    .venv/bin/python -m bench.leads [--quick] [--orders 40000]

``commission_month_s``: a month's commission statement for
the 61 people of the reference centre (48 agents in 6 teams, their 6 team
leaders, 1 director, 6 support staff sharing the others' part), computed the
way the payroll export computes it (``web.sales.services.payroll_rows``: the
month's order lines and refunds read in SQL, the arithmetic in
``orchestrator.sales.commission``), over ``--orders`` order lines sold in the
month plus as many in the month before, 3 % of all of them half refunded during the month.
Target: at most 5 s.

``distribute_100k_s``: a bought batch of ``--records`` (1 M) records in one
purchase, accepted; the data manager hands 100 k of them to the 6 teams
(6 hand-outs), then each team leader hands their share to their 8 agents
(48 hand-outs), with ``web.leaddata.handout.hand_out`` as the pages call it.
Target: at most 10 s.

``purge_100k_s``: those 100 k records, dialed once each (an attempt and a
call per record, half of them with a recording row whose retention has
passed), used up and destroyed with a certificate
(``web.leaddata.destruction.destroy``: numbers hashed, fields wiped,
attempts, calls and recordings cleaned). Target: at most 30 s.

``--quick`` (well under a minute) uses a tenth of everything: 100 k records,
10 k handed out and purged, a tenth of the orders; its figures are for
10 k, not 100 k.

The last line is ``RESULT leads distribute_100k_s=<s> purge_100k_s=<s> commission_month_s=<s>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text

from bench.db_claim import postgres_url
from store import migrate
from store.db import make_engine, session_factory
from store.enums import PurchaseState, UserRole
from store.models import Agent, Campaign, LeadList, Product, Purchase, Team, User, Vendor
from store.sealing import Sealer
from store.types import utcnow
from web.leaddata.destruction import Wiper, destroy
from web.leaddata.handout import Receiver, hand_out
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


def build_batch(url: str, records: int) -> int:
    """One accepted purchase of ``records`` never-dialed records (the campaign worked by every team);
    returns its id."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as s:
            vendor = Vendor(name="Bench vendor")
            purchase = Purchase(vendor=vendor, batch="B-1", purchased_on=MONTH, price=Decimal("100000.00"),
                                record_count=records, consent_basis="bench", state=PurchaseState.ACCEPTED)
            s.add(purchase)
            s.flush()
            pool = LeadList(name="B-1", purchase_id=purchase.id, active=False)
            s.add(pool)
            s.flush()
            purchase_id, pool_id = purchase.id, pool.id
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO campaign_teams (campaign_id, team_id) SELECT 1, id FROM teams"))
            conn.execute(text("""
                INSERT INTO leads (list_id, phone, fields, status, priority, attempts, next_call_at,
                                   created_at, updated_at)
                SELECT :pool, '+8613' || lpad(g::text, 9, '0'), jsonb_build_object('name', 'Customer ' || g),
                       'new', 5, 0, now(), now(), now()
                FROM generate_series(1, :n) AS g
            """), {"pool": pool_id, "n": records})
            conn.execute(text("ANALYZE"))
        return purchase_id
    finally:
        engine.dispose()


def distribute(url: str, purchase_id: int, total: int) -> float:
    """The data manager's 6 hand-outs to the teams, then the leaders' 48 to their agents."""
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with session_factory(engine).begin() as s:
            purchase = s.get_one(Purchase, purchase_id)
            manager = s.scalars(select(User.id).where(User.role == UserRole.DATA_MANAGER)).one()
            teams = s.scalars(select(Team).order_by(Team.id)).all()
            for team in teams:
                hand_out(s, purchase, Receiver(team), str(total // len(teams)), manager)
        with session_factory(engine).begin() as s:
            purchase = s.get_one(Purchase, purchase_id)
            campaign = s.get_one(Campaign, 1)
            for team in s.scalars(select(Team).order_by(Team.id)):
                share = total // 6 // len(team.agents)
                for agent in team.agents:
                    hand_out(s, purchase, Receiver(team, agent, campaign), str(share), team.leader_id or 0)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def purge(url: str, purchase_id: int, folder: Path) -> tuple[float, int]:
    """The handed-out records dialed once and used up, then destroyed in one go with a certificate."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("""
                INSERT INTO attempts (id, lead_id, campaign_id, phone, outcome, ended_at, notes, abandoned,
                                      created_at)
                SELECT gen_random_uuid(), id, 1, phone, 'no_answer', now(), 'notes about ' || phone,
                       false, now()
                FROM leads
                WHERE list_id IN (SELECT id FROM lead_lists WHERE purchase_id = :p AND team_id IS NOT NULL)
            """), {"p": purchase_id})
            conn.execute(text("""
                INSERT INTO calls (attempt_id, campaign_id, direction, caller, callee, started_at, created_at)
                SELECT a.id, 1, 'outbound', '+861000', a.phone, now(), now()
                FROM attempts a JOIN leads l ON l.id = a.lead_id
                WHERE l.list_id IN (SELECT id FROM lead_lists WHERE purchase_id = :p AND team_id IS NOT NULL)
            """), {"p": purchase_id})
            conn.execute(text("""
                INSERT INTO recordings (call_id, attempt_id, path, started_at, status_reason, created_at)
                SELECT id, attempt_id, 'bench/' || id || '.wav', now() - interval '40 days', '', now()
                FROM calls WHERE id % 2 = 0
            """))
            conn.execute(text("""
                UPDATE leads SET status = 'done', attempts = 1
                WHERE list_id IN (SELECT id FROM lead_lists WHERE purchase_id = :p AND team_id IS NOT NULL)
            """), {"p": purchase_id})
            conn.execute(text("ANALYZE"))
        with session_factory(engine).begin() as s:
            purchase = s.get_one(Purchase, purchase_id)
            lists = list(s.scalars(select(LeadList.id).where(LeadList.purchase_id == purchase_id,
                                                             LeadList.team_id.is_not(None))))
            wiper = Wiper(Sealer("b" * 43), folder, folder, folder)
            started = time.perf_counter()
            certificate = destroy(s, purchase, lists, wiper, utcnow(), None)
            s.flush()
            return time.perf_counter() - started, int(certificate.facts["records"])
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
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the bought batch")
    parser.add_argument("--handed", type=int, default=100_000, help="records handed out, then purged")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    orders, records, handed = args.orders // scale, args.records // scale, args.handed // scale
    with postgres_url() as url, tempfile.TemporaryDirectory() as folder:
        director_id = build(url, orders)
        seconds, people = commission_month(url, director_id)
        purchase_id = build_batch(url, records)
        distribute_s = distribute(url, purchase_id, handed)
        purge_s, purged = purge(url, purchase_id, Path(folder))
    print(f"commission statement of {MONTH:%Y-%m}: {people} people, ~{orders:,} order lines, {seconds:.2f} s")
    print(f"{handed:,} of {records:,} records handed to 6 teams and 48 agents in {distribute_s:.2f} s; "
          f"{purged:,} purged with a certificate in {purge_s:.2f} s")
    print(f"RESULT leads distribute_100k_s={distribute_s:.2f} purge_100k_s={purge_s:.2f} "
          f"commission_month_s={seconds:.2f}")


if __name__ == "__main__":
    main()
