"""Web benchmark: a 100 000-row lead import, and call-log / report page times on a large PostgreSQL.

    .venv/bin/python -m bench.web [--quick] [--leads 1000000] [--calls 200000] [--tickets 100000]
                                  [--samples 20]

1. Import: a generated CSV of 100 000 rows (GB and US numbers in several
   spellings, 1 % invalid, 1 % duplicates, 0.5 % on the DNC list) goes through
   the same job code as the web (read, map, E.164 + zone, dedupe, DNC scrub,
   one-transaction insert), on PostgreSQL and on SQLite.
2. Pages: a PostgreSQL database with ``--leads`` leads, ``--calls`` attempts
   and calls over 30 days, 48 agents in 6 teams and their state log, queried
   through the Flask test client as a supervisor: the call log (first page,
   filters by agent, campaign, outcome, day, number, a deep page) and reports
   (per agent / team, 1 day, 7 days, 30 days, daily, CSV). p50/p95 per page.
3. Customer care: on the same database, a customer's history page (as the supervisor) and the
   agent panel's knowledge-base search over ``--articles`` articles in Chinese and English (as an
   agent): terms of three characters or more through the pg_trgm index, a two-character Chinese
   term through the LIKE fallback, a term that matches nothing.
   Quality: four sampled calls per agent per week (a third scored) and ``--tickets`` complaints in
   every state; the QA inspector's work list (a week, one team, the week before) and the director's
   complaint list (all, by state, overdue only, "my escalations", state and overdue). Issue #14's
   figure is ``--calls 1000000``.
4. Live updates (``bench.web_push``): 48 agent panels, 7 wallboards and 5
   campaign pages with their event streams open on the real server (waitress)
   while agents change state and calls start and end; push latency from a
   change's commit to the page showing it.

``--quick`` (about a minute and a half) keeps the 100 000-row import on PostgreSQL (the
figure the RESULT line reports) but skips SQLite's, builds the page database with a
tenth of the rows and tickets, samples each page 5 times and pushes for 15 s instead of 60. The last
line is ``RESULT web import_100k_s=<s> calllog_p95_ms=<ms> reports_p95_ms=<ms> history_p95_ms=<ms>
kb_search_p95_ms=<ms> qa_p95_ms=<ms> tickets_p95_ms=<ms> push_latency_p99_ms=<ms> sse_clients=<n>``
(PostgreSQL import time; p95 over each group's requests; p99 over every change shown on a panel or
wallboard). ``--push-only`` runs part 4 alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from werkzeug.security import generate_password_hash

from bench import web_push
from bench.db_claim import postgres_url, sqlite_url
from orchestrator.quality.tickets import State as TicketState
from settings import Settings
from store import migrate
from store.db import make_engine, session_factory
from store.enums import CampaignMode, ComplianceProfile, UserRole
from store.models import Agent, Campaign, Disposition, DncEntry, LeadList, Team, User
from store.models.quality import Scorecard, ScorecardVersion
from web.leads.jobs import JobMeta, Jobs

IMPORT_ROWS = 100_000
#: ``--quick``'s seconds of pushes: 60 changes. With 5 s (20 changes, the 7 wallboards seeing each
#: at once) the p99 was the slowest of about 20 moments, so one stall of a loaded machine set it.
QUICK_PUSH_S = 15.0
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
PASSWORD = "bench password"


# ---------------------------------------------------------------- import


def make_csv(path: Path, rows: int, seed: int = 7) -> set[str]:
    """Write the CSV; return the E.164 numbers to put on the DNC list."""
    rng = random.Random(seed)
    dnc: set[str] = set()
    lines = ["first_name,last_name,phone,customer_id,city"]
    for i in range(rows):
        r = rng.random()
        if i % 2:
            n = 7_900_000_000 + i
            e164 = f"+44{n}"
            phone = rng.choice([e164, f"0{n}", f"+44 {str(n)[:4]} {str(n)[4:]}"])
        else:
            n = 2_125_550_000 + i  # +1 212 55x xxxx
            e164 = f"+1{n}"
            phone = rng.choice([e164, f"+1 ({str(n)[:3]}) {str(n)[3:6]}-{str(n)[6:]}"])
        if r < 0.01:
            phone = f"12{i}"  # invalid
        elif r < 0.02 and i > 10:
            phone = lines[-1].split(",")[2]  # duplicate of the previous row
        elif r < 0.025:
            dnc.add(e164)
        lines.append(f"First{i},Last{i},{phone},C{i:07d},City{i % 50}")
    path.write_text("\n".join(lines) + "\n")
    return dnc


def bench_import(url: str, csv_path: Path, dnc: set[str]) -> tuple[float, dict]:
    migrate.upgrade(url, "head")
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        with sessions.begin() as s:
            s.add_all(DncEntry(phone=p) for p in dnc)
            campaign = Campaign(
                name="Import", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.UK
            )
            s.add(campaign)
            s.flush()
            campaign_id = campaign.id
        with tempfile.TemporaryDirectory() as tmp:
            jobs = Jobs(Path(tmp))
            token = jobs.new(JobMeta("leads.csv", "Bench", None, "GB", campaign_id), csv_path.read_bytes())
            started = time.perf_counter()
            status = jobs.run(token, sessions)
            elapsed = time.perf_counter() - started
        if status.state != "done":
            raise SystemExit(f"import failed: {status.error}")
        return elapsed, status.__dict__
    finally:
        engine.dispose()


# ---------------------------------------------------------------- pages


def load_pages_db(engine: Engine, leads: int, calls: int) -> dict[str, int]:
    """48 agents in 6 teams, 5 campaigns, ``leads`` leads, ``calls`` attempts + calls over 30 days."""
    sessions = session_factory(engine)
    password_hash = generate_password_hash(PASSWORD)
    with sessions.begin() as s:
        s.add(User(username="sup", password_hash=password_hash, role=UserRole.SUPERVISOR))
        teams = [Team(name=f"Team {i + 1}") for i in range(6)]
        for i in range(48):
            user = User(username=f"agent{i + 1:02d}", password_hash=password_hash, role=UserRole.AGENT)
            s.add(Agent(user=user, team=teams[i // 8]))
        for i in range(5):
            c = Campaign(name=f"C{i}", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.US)
            c.dispositions = [
                Disposition(code="SALE", label="Sale", is_sale=True, asks_amount=True),
                Disposition(code="NO", label="Not interested"),
                Disposition(code="CB", label="Call back", schedules_callback=True, is_final=False),
            ]
            s.add(LeadList(name=f"L{i}", campaign=c))
        s.flush()
    params = {"leads": leads, "calls": calls, "now": NOW}
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO leads (list_id, campaign_id, phone, timezone, fields, status, priority, attempts,
                               next_call_at, created_at, updated_at)
            SELECT ll.id, ll.campaign_id, '+1202' || lpad(g::text, 8, '0'), 'America/New_York',
                   jsonb_build_object('name', 'Customer ' || g), 'new', 0, 0, :now, :now, :now
            FROM generate_series(1, :leads) AS g
            JOIN lead_lists ll ON ll.id = 1 + g % 5
        """),
            params,
        )
        # Attempts over 30 days: 40 % connected to an agent, the rest split over other outcomes.
        conn.execute(
            text("""
            INSERT INTO attempts (id, lead_id, campaign_id, agent_id, phone, created_at, originated_at,
                                  answered_at, bridged_at, ended_at, outcome, abandoned, disposition_id,
                                  notes)
            SELECT gen_random_uuid(), l.id, l.campaign_id,
                   CASE WHEN g % 5 < 2 THEN 1 + g % 48 END, l.phone, t, t,
                   CASE WHEN g % 5 < 3 THEN t + interval '8 seconds' END,
                   CASE WHEN g % 5 < 2 THEN t + interval '10 seconds' END,
                   t + ((20 + g % 300) || ' seconds')::interval,
                   (ARRAY['connected','connected','abandoned','busy','no_answer'])[1 + g % 5],
                   g % 5 = 2,
                   CASE WHEN g % 5 < 2 THEN (l.campaign_id - 1) * 3 + 1 + g % 3 END, ''
            FROM (SELECT g, :now - (g * (2592000.0 / :calls)) * interval '1 second' AS t
                  FROM generate_series(1, :calls) AS g) AS s
            JOIN leads l ON l.id = 1 + (CAST(s.g AS bigint) * 7919) % :leads
        """),
            params,
        )
        # Each sale (the SALE disposition) sold one order line of 10 to 99 yuan.
        conn.execute(
            text("""
            INSERT INTO orders (attempt_id, agent_id, team_id, campaign_id, quantity, amount, payment,
                                sold_at, created_at)
            SELECT a.id, a.agent_id, g.team_id, a.campaign_id, 1,
                   10 + (extract(epoch FROM a.created_at)::bigint % 90), 'paid', a.ended_at, a.created_at
            FROM attempts a JOIN agents g ON g.id = a.agent_id
            JOIN dispositions d ON d.id = a.disposition_id AND d.code = 'SALE'
        """)
        )
        conn.execute(
            text("""
            INSERT INTO calls (attempt_id, campaign_id, direction, caller, callee, started_at, answered_at,
                               ended_at, created_at)
            SELECT id, campaign_id, 'outbound', '+15550001111', phone, created_at, answered_at, ended_at,
                   created_at
            FROM attempts
        """)
        )
        # Each agent: 8 h a day for 30 days, alternating ready / on call / wrap-up in 10-minute slices.
        conn.execute(
            text("""
            INSERT INTO agent_state_log (agent_id, state, reason, started_at, ended_at)
            SELECT a.id, (ARRAY['ready','on_call','on_call','wrap_up','paused'])[1 + k % 5], '',
                   s.t, s.t + interval '10 minutes'
            FROM agents a, generate_series(0, 29) AS d, generate_series(0, 47) AS k,
                 LATERAL (SELECT date_trunc('day', CAST(:now AS timestamptz)) - d * interval '1 day'
                                 + interval '9 hours' + k * interval '10 minutes' AS t) AS s
        """),
            params,
        )
        conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        return {
            "agent": conn.scalar(text("SELECT min(id) FROM agents")),
            "campaign": conn.scalar(text("SELECT min(id) FROM campaigns")),
        }


#: Words the generated articles are made of: a knowledge base of a Chinese centre, with English terms.
KB_WORDS = ["退款", "申请", "流程", "发票", "订单号", "会员卡", "物流", "投诉",
            "refund", "invoice", "delivery", "password", "renewal", "billing", "parcel", "account"]


def load_articles(engine: Engine, articles: int) -> None:
    """``articles`` articles of about 600 characters, each from the words in a different order."""
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO kb_articles (title, body, tags, product, active, version, updated_at, created_at)
            SELECT 'FAQ ' || g || ' ' || w[1 + g % 16] || w[1 + (g / 16) % 16],
                   repeat(w[1 + g % 16] || ' ' || w[1 + (g * 7) % 16] || '。请先核对' || w[1 + (g * 3) % 16]
                          || ' then check the ' || w[1 + (g * 5) % 16] || ' page. ', 12),
                   w[1 + g % 16] || ', ' || w[1 + (g * 11) % 16], '', true, 1, :now, :now
            FROM generate_series(1, :n) AS g, (SELECT CAST(:words AS text[]) AS w) AS k
        """),
            {"n": articles, "now": NOW, "words": KB_WORDS},
        )
        conn.execute(text("ANALYZE kb_articles"))


def load_quality(engine: Engine, tickets: int) -> date:
    """QA users, four sampled calls per agent per week (a third of them scored) and ``tickets`` complaints
    over the 30 days of calls, in every state, a fifth of the open ones escalated; returns the last
    sampled week (its Monday)."""
    sessions = session_factory(engine)
    password_hash = generate_password_hash(PASSWORD)
    with sessions.begin() as s:
        for name, role in (("qa", UserRole.QA), ("director", UserRole.DIRECTOR)):
            s.add(User(username=name, password_hash=password_hash, role=role))
        s.add(ScorecardVersion(scorecard=Scorecard(name="Bench form"), number=1, form={}, published_at=NOW))
    states = [state.value for state in TicketState]
    with engine.begin() as conn:
        # The weekly samples: an agent's first four connected calls of each week (Mondays in UTC).
        conn.execute(
            text("""
            INSERT INTO qa_samples (team_id, week, call_id, agent_id, reason, stratum, due_on, created_at)
            SELECT team_id, week, call_id, agent_id, 'random', 'bench', week + 10, :now
            FROM (SELECT g.team_id, CAST(date_trunc('week', c.started_at) AS date) AS week, c.id AS call_id,
                         a.agent_id,
                         row_number() OVER (PARTITION BY a.agent_id, date_trunc('week', c.started_at)
                                            ORDER BY c.id) AS n
                  FROM calls c JOIN attempts a ON a.id = c.attempt_id JOIN agents g ON g.id = a.agent_id
                  WHERE a.outcome = 'connected') AS k
            WHERE n <= 4
        """),
            {"now": NOW},
        )
        conn.execute(
            text("""
            INSERT INTO qa_scores (version_id, call_id, agent_id, team_id, scorer_id, answers, item_notes,
                                   comment, percent, failed_critical, reply, reply_note, created_at)
            SELECT (SELECT min(id) FROM scorecard_versions), call_id, agent_id, team_id,
                   (SELECT id FROM users WHERE username = 'qa'), '{}', '{}', '', 60 + id % 40, false,
                   'open', '',
                   CAST(week AS timestamptz) + interval '8 days'
            FROM qa_samples WHERE id % 3 = 0
        """)
        )
        # Complaints from the calls of connected attempts, phone the callee's (so the history shows them).
        conn.execute(
            text("""
            INSERT INTO tickets (call_id, team_id, agent_id, phone, subject, description, state, state_since,
                                 assignee_id, department, created_by_id, escalation, escalated_to_id,
                                 created_at)
            SELECT c.id, g.team_id, a.agent_id, c.callee, 'Complaint ' || k.g, '',
                   st[1 + k.g % 7], c.ended_at + interval '1 hour', NULL, '', NULL,
                   CASE WHEN k.g % 7 < 6 AND k.g % 5 = 0 THEN 'director' END, NULL, c.ended_at
            FROM generate_series(1, :tickets) AS k(g)
            JOIN calls c ON c.id = 1 + (CAST(k.g AS bigint) * 7919) % (SELECT max(id) FROM calls)
            JOIN attempts a ON a.id = c.attempt_id LEFT JOIN agents g ON g.id = a.agent_id,
            (SELECT CAST(:states AS text[]) AS st) AS t
        """),
            {"tickets": tickets, "states": states},
        )
        conn.execute(
            text("""
            INSERT INTO ticket_events (ticket_id, state, by_id, at, note, kind)
            SELECT id, state, NULL, created_at, '', 'step' FROM tickets
        """)
        )
        conn.execute(text("ANALYZE"))
        return conn.scalar(text("SELECT max(week) FROM qa_samples"))


def quality_urls(week: date) -> tuple[list[str], list[str]]:
    """The QA inspector's work list (a week, a team, the week before) and the director's complaint list
    (all, by state, overdue only, escalated to them, both filters)."""
    qa = [f"/qa/worklist?week={week}", f"/qa/worklist?week={week}&team_id=1",
          f"/qa/worklist?week={week - timedelta(days=7)}"]
    tickets = ["/tickets", "/tickets?state=assigned", "/tickets?overdue=1", "/tickets?mine=1",
               "/tickets?state=supervised&overdue=1"]
    return qa, tickets


def care_urls() -> tuple[list[str], list[str]]:
    """A customer's history pages (the supervisor's) and knowledge-base searches (an agent's)."""
    history = ["/customers/+120200000123", "/customers/120200004567", "/customers/+120200000123?page=1"]
    kb_search = [f"/agent/kb/search?q={q}" for q in ("退款", "申请流程", "refund policy", "订单号 invoice",
                                                      "nothing-like-this")]
    return history, kb_search


def _client(app, username: str):
    client = app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return client


def page_urls(ids: dict[str, int]) -> tuple[list[str], list[str]]:
    day = (NOW - timedelta(days=1)).date()
    d = day.isoformat()
    week = (day - timedelta(days=6)).isoformat()
    month = (day - timedelta(days=29)).isoformat()
    calllog = [
        "/calls",
        f"/calls?agent_id={ids['agent']}",
        f"/calls?campaign_id={ids['campaign']}",
        "/calls?outcome=abandoned",
        f"/calls?from={d}&to={d}",
        "/calls?number=20200012",
        "/calls?page=40",
    ]
    reports = [
        f"/reports/?from={d}&to={d}",
        f"/reports/?from={d}&to={d}&group=team",
        f"/reports/?from={week}&to={d}",
        f"/reports/?from={week}&to={d}&daily=1",
        f"/reports/?from={month}&to={d}&group=team",
        f"/reports/export.csv?from={week}&to={d}",
    ]
    return calllog, reports


def time_pages(client, urls: list[str], samples: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for url in urls:
        client.get(url)  # warm caches and plans
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        out[url] = times
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def bench_pages(url: str, leads: int, calls: int, articles: int, tickets: int,
                samples: int) -> dict[str, float]:
    """The p95 of each group of pages (call log, reports, customer history, knowledge-base search, QA
    work list, complaint list)."""
    from web.app import create_app
    from web.serve import freeze_startup_objects

    migrate.upgrade(url, "head")
    engine = make_engine(url)
    started = time.perf_counter()
    ids = load_pages_db(engine, leads, calls)
    load_articles(engine, articles)
    week = load_quality(engine, tickets)
    engine.dispose()
    print(f"loaded {leads:,} leads, {calls:,} calls, {articles:,} articles and {tickets:,} tickets in "
          f"{time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(instance_dir=Path(tmp), database_url=url, secret_key="bench"))
        freeze_startup_objects()  # as ``switchboard web``'s server does before serving
        sup, agent = _client(app, "sup"), _client(app, "agent01")
        inspector, director = _client(app, "qa"), _client(app, "director")
        calllog_urls, report_urls = page_urls(ids)
        history_urls, kb_urls = care_urls()
        qa_urls, ticket_urls = quality_urls(week)
        results = {
            "call log": time_pages(sup, calllog_urls, samples),
            "reports": time_pages(sup, report_urls, samples),
            "history": time_pages(sup, history_urls, samples),
            "kb search": time_pages(agent, kb_urls, samples),
            "qa": time_pages(inspector, qa_urls, samples),
            "tickets": time_pages(director, ticket_urls, samples),
        }
        app.extensions["sb_engine"].dispose()
    print(f"{'page':<62} {'p50 ms':>8} {'p95 ms':>8}")
    for group in results.values():
        for page, times in group.items():
            print(f"{page:<62} {statistics.median(times):8.1f} {p95(times):8.1f}")
    return {name: p95([t for ts in group.values() for t in ts]) for name, group in results.items()}


def bench_push(url: str, seconds: float, rate: float) -> dict[str, float]:
    migrate.upgrade(url, "head")
    engine = make_engine(url)
    try:
        load_pages_db(engine, 5_000, 2_000)
        with tempfile.TemporaryDirectory() as tmp:
            return web_push.run(url, engine, PASSWORD, Path(tmp), seconds, rate)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--push-s", type=float, default=60.0, help="seconds of state changes pushed")
    parser.add_argument("--push-rate", type=float, default=4.0, help="agent state changes per second")
    parser.add_argument("--push-only", action="store_true", help="only the live-updates part")
    args = parser.parse_args()
    leads, calls, articles, samples, push_s = args.leads, args.calls, args.articles, args.samples, args.push_s
    tickets = args.tickets
    if args.quick:
        leads, calls, articles, samples, push_s = leads // 10, calls // 10, articles // 10, 5, QUICK_PUSH_S
        tickets //= 10
    if args.push_only:
        with postgres_url() as url:
            push = bench_push(url, push_s, args.push_rate)
        print(f"RESULT web push_latency_p99_ms={push['push_latency_p99_ms']:.1f} "
              f"sse_clients={push['sse_clients']:.0f}")
        return

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "leads.csv"
        dnc = make_csv(csv_path, IMPORT_ROWS)
        print(f"import of {IMPORT_ROWS:,} rows ({csv_path.stat().st_size / 1e6:.1f} MB CSV)")
        print(f"{'database':<12} {'seconds':>8} {'rows/s':>9} {'imported':>9} {'rejected':>9}")
        timings: dict[str, float] = {}
        backends: list[tuple[str, Callable]] = [("postgresql", postgres_url)]
        if not args.quick:
            backends.append(("sqlite", sqlite_url))
        for label, factory in backends:
            with factory() as url:
                seconds, status = bench_import(url, csv_path, dnc)
            timings[label] = seconds
            print(
                f"{label:<12} {seconds:8.2f} {IMPORT_ROWS / seconds:9.0f} {status['imported']:9d} "
                f"{status['rejected']:9d}"
            )
    with postgres_url() as url:
        p95s = bench_pages(url, leads, calls, articles, tickets, samples)
    with postgres_url() as url:
        push = bench_push(url, push_s, args.push_rate)
    print(
        f"RESULT web import_100k_s={timings['postgresql']:.2f} calllog_p95_ms={p95s['call log']:.1f} "
        f"reports_p95_ms={p95s['reports']:.1f} history_p95_ms={p95s['history']:.1f} "
        f"kb_search_p95_ms={p95s['kb search']:.1f} qa_p95_ms={p95s['qa']:.1f} "
        f"tickets_p95_ms={p95s['tickets']:.1f} push_latency_p99_ms={push['push_latency_p99_ms']:.1f} "
        f"sse_clients={push['sse_clients']:.0f}"
    )


if __name__ == "__main__":
    main()
