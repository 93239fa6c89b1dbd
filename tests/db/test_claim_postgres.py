"""PostgreSQL only: SKIP LOCKED between open transactions, and the claim's query plan on a big table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from store.db import session_factory
from store.enums import CampaignMode, ComplianceProfile
from store.leads import claim_leads, claim_statement
from store.models import Campaign, Lead, LeadList
from tests.db.builders import campaign_with_leads

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_second_runner_skips_the_leads_the_first_one_holds(pg_engine):
    campaign = campaign_with_leads(pg_engine, 20, NOW)
    sessions = session_factory(pg_engine)
    with sessions() as first, sessions() as second:
        held = {lead.id for lead in claim_leads(first, campaign, 5, NOW, claimed_by="a")}  # not committed
        # Without SKIP LOCKED the second claim would wait for the first: fail fast instead of hanging.
        second.execute(text("SET LOCAL lock_timeout = '3s'"))
        other = {lead.id for lead in claim_leads(second, campaign, 5, NOW, claimed_by="b")}
        assert len(held) == len(other) == 5
        assert not held & other
        first.commit()
        second.commit()


# --- the plan -------------------------------------------------------------------------------------

BIG_CAMPAIGNS, BIG_LEADS = 3, 150_000


@pytest.fixture
def big_table(pg_engine: Engine) -> tuple[Engine, int]:
    """150k leads over 3 campaigns x 2 lists; 60 % new, 20 % done, 10 % retry later, 10 % invalid."""
    with session_factory(pg_engine).begin() as s:
        campaigns = [
            Campaign(name=f"C{i}", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.US)
            for i in range(BIG_CAMPAIGNS)
        ]
        lists = [LeadList(name=f"L{i}", campaign=c, active=i % 2 == 0) for c in campaigns for i in range(2)]
        s.add_all(lists)
        s.flush()
        list_ids = [x.id for x in lists]
        target = campaigns[1].id
    with pg_engine.begin() as conn:
        conn.execute(
            text("""
                INSERT INTO leads (list_id, campaign_id, phone, fields, status, priority, next_call_at)
                SELECT ll.id, ll.campaign_id, '+1202' || lpad(g::text, 7, '0'), '{}'::jsonb,
                       CASE WHEN g % 10 < 6 THEN 'new' WHEN g % 10 < 8 THEN 'done'
                            WHEN g % 10 = 8 THEN 'pending' ELSE 'invalid' END,
                       1 + g % 9,
                       :now - (g % 5000) * interval '1 minute'
                            + CASE WHEN g % 10 = 8 THEN interval '2 days' ELSE interval '0' END
                FROM generate_series(1, :n) AS g
                JOIN lead_lists ll ON ll.id = (CAST(:lists AS int[]))[1 + g % :nlists]
            """),
            {"now": NOW, "n": BIG_LEADS, "lists": list_ids, "nlists": len(list_ids)},
        )
        conn.execute(text("ANALYZE leads"))
        conn.execute(text("ANALYZE lead_lists"))
    return pg_engine, target


def _literal(value: Any) -> str:
    if isinstance(value, StrEnum):
        value = value.value
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _plan(engine: Engine, campaign: int, generic: bool) -> dict[str, Any]:
    """EXPLAIN the exact claim statement as a prepared statement, with a custom or a generic plan.

    A generic plan is what PostgreSQL may switch to after a driver has
    prepared the statement a few times: the partial index must survive that.
    """
    compiled = claim_statement(campaign, 50, NOW, claimed_by="bench").compile(
        dialect=postgresql.dialect(paramstyle="numeric_dollar"), compile_kwargs={"render_postcompile": True}
    )
    args = ", ".join(_literal(compiled.params[name]) for name in compiled.positiontup)
    with engine.connect() as conn:
        conn.execute(
            text(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'}")
        )
        conn.exec_driver_sql(f"PREPARE claim AS {compiled}")
        rows = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE claim({args})").scalar_one()
        conn.exec_driver_sql("DEALLOCATE claim")
        conn.rollback()
    plan = rows if isinstance(rows, list) else json.loads(rows)
    return plan[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("generic", [False, True], ids=["custom-plan", "generic-plan"])
def test_the_claim_walks_the_partial_index_in_order(big_table, generic):
    engine, campaign = big_table
    nodes = list(_nodes(_plan(engine, campaign, generic)))
    described = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]

    assert ("Index Scan", "leads", "ix_leads_claim") in described, described
    assert not [d for d in described if d[0] == "Seq Scan" and d[1] == "leads"], described
    assert not [d for d in described if d[0] in ("Sort", "Incremental Sort")], described
    with Session(engine) as s:  # and the statement claims what a plain join says is next
        expected = s.scalars(
            select(Lead.id)
            .join(LeadList)
            .where(
                LeadList.campaign_id == campaign,
                LeadList.active,
                Lead.status.in_(["new", "pending", "callback"]),
                Lead.next_call_at <= NOW,
            )
            .order_by(Lead.priority, Lead.next_call_at, Lead.id)
            .limit(50)
        ).all()
        assert [lead.id for lead in claim_leads(s, campaign, 50, NOW)] == expected
        s.rollback()
