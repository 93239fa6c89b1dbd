"""How long one lead claim takes with a million leads, on PostgreSQL and SQLite.

    .venv/bin/python -m bench.db_claim [--leads 1000000] [--claims 200] [--batch 50]

Builds a throw-away database per backend (PostgreSQL: ``switchboard_bench_<hex>``
on ``$SWITCHBOARD_TEST_PG_URL`` or postgres@127.0.0.1; SQLite: a temp file),
migrates it, loads the leads spread over 5 campaigns (60 % dialable), then
runs ``claims`` successive claims of ``batch`` leads in one campaign, each in
its own committed transaction as a runner would, and prints the latency
distribution. Absolute times on shared machines are noise; what matters is
that they stay flat as the table grows.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, text

from lab.pgdb import server_for_tests, throwaway_database
from store import migrate
from store.db import make_engine, session_factory
from store.enums import CampaignMode, ComplianceProfile
from store.leads import claim_leads
from store.models import Campaign, Lead, LeadList

CAMPAIGNS = 5
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STATUSES = ("new", "new", "new", "pending", "pending", "new", "done", "done", "invalid", "dnc")


def postgres_url() -> AbstractContextManager[str]:
    """A throw-away database on the test server (dropped afterwards)."""
    return throwaway_database(server_for_tests(), "switchboard_bench")


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


def _campaigns(engine: Engine) -> list[tuple[int, int]]:
    """One active list per campaign; returns (list id, campaign id) pairs."""
    with session_factory(engine).begin() as s:
        lists = [
            LeadList(
                name=f"L{i}",
                campaign=Campaign(
                    name=f"C{i}", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.US
                ),
            )
            for i in range(CAMPAIGNS)
        ]
        s.add_all(lists)
        s.flush()
        return [(x.id, x.campaign_id) for x in lists]


def load(engine: Engine, leads: int) -> int:
    """Insert the leads; return the campaign to claim from."""
    pairs = _campaigns(engine)
    list_ids = [list_id for list_id, _ in pairs]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                text("""
                    INSERT INTO leads (list_id, campaign_id, phone, fields, status, priority, next_call_at)
                    SELECT ll.id, ll.campaign_id, '+1202' || lpad(g::text, 8, '0'), '{}'::jsonb,
                           (CAST(:statuses AS text[]))[1 + g % 10], 1 + g % 9,
                           :now - (g % 100000) * interval '1 second'
                    FROM generate_series(1, :n) AS g
                    JOIN lead_lists ll ON ll.id = (CAST(:lists AS int[]))[1 + g % :nlists]
                """),
                {
                    "now": NOW,
                    "n": leads,
                    "lists": list_ids,
                    "nlists": len(list_ids),
                    "statuses": list(STATUSES),
                },
            )
            conn.execute(text("ANALYZE"))
    else:
        chunk = 50_000
        for start in range(0, leads, chunk):
            rows = [
                {
                    "list_id": pairs[g % len(pairs)][0],
                    "campaign_id": pairs[g % len(pairs)][1],
                    "phone": f"+1202{g:08d}",
                    "fields": {},
                    "status": STATUSES[g % 10],
                    "priority": 1 + g % 9,
                    "next_call_at": NOW,
                }
                for g in range(start, min(start + chunk, leads))
            ]
            with engine.begin() as conn:
                conn.execute(insert(Lead.__table__), rows)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return pairs[1][1]


def time_claims(engine: Engine, campaign: int, claims: int, batch: int) -> list[float]:
    sessions = session_factory(engine)
    samples = []
    for _ in range(claims):
        started = time.perf_counter()
        with sessions.begin() as s:
            got = claim_leads(s, campaign, batch, NOW, claimed_by="bench")
        samples.append(time.perf_counter() - started)
        if len(got) < batch:
            raise SystemExit("ran out of due leads: use fewer --claims")
    return samples


def run(
    label: str, url_factory: Callable[[], AbstractContextManager[str]], leads: int, claims: int, batch: int
) -> None:
    with url_factory() as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            campaign = load(engine, leads)
            loaded = time.perf_counter() - started
            samples = sorted(time_claims(engine, campaign, claims, batch))
        finally:
            engine.dispose()
    p50 = statistics.median(samples) * 1000
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
    print(
        f"| {label:10} | {leads:>9,} | {loaded:7.1f} | {claims:>6} x {batch:<3} | {p50:7.2f} | {p99:7.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args()
    print("| backend    |     leads | load s  | claims x batch | p50 ms  | p99 ms  |")
    print("|------------|-----------|---------|----------------|---------|---------|")
    if args.backend in ("postgres", "both"):
        run("postgresql", postgres_url, args.leads, args.claims, args.batch)
    if args.backend in ("sqlite", "both"):
        run("sqlite", sqlite_url, args.leads, args.claims, args.batch)


if __name__ == "__main__":
    main()
