"""One campaign dialed from two PBX nodes at once (the Asterisk pbx and FreeSWITCH) on one PostgreSQL.

PostgreSQL only: several nodes share one database through ``SKIP LOCKED``
claims and a lease per node; on SQLite there is one box and one runner.
Two nodes, not three: the sandbox has one Asterisk pbx instance
(``lab.multinode`` says why, ``bench.scale`` measures the cores).

Each node has its agents logged in to the campaign and two runners (one
active, one standing by). Mid-campaign the active runner of each node in turn
is killed with SIGKILL: its standby takes over while the other node dials on.
At the end: no lead lost, no call the world received beyond the attempts
recorded for its number, every lead dialed exactly once over both nodes (and
both nodes dialed), each node's abandon-rate counts (its own minute buckets,
written while the other node wrote the same minutes) equal what its attempts
say, and the wallboard, fetched through the web app as a supervisor sees it,
shows both nodes' agents at work and the campaign's totals as the database has
them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab import multinode
from lab.faults import table
from lab.multinode import Counts, MultiNodeRun
from lab.sandbox import cli as sandbox_cli
from orchestrator.compliance import abandon_rate
from orchestrator.pacing.base import AbandonWindow
from store import models as m
from store.enums import AgentState, UserRole
from tests.db.conftest import _empty_pg_schema
from tests.integration.campaign_kit import Kit, web_client

pytestmark = [pytest.mark.sandbox, pytest.mark.slow, pytest.mark.postgres]


def board_shows_both_nodes_at_work(board, run: MultiNodeRun) -> None:
    """The wallboard (its JSON and its live HTML part) lists every node's agents, at work on the campaign."""
    snap = board.get("/wallboard/snapshot.json").get_json()
    html = board.get("/wallboard/board").get_data(as_text=True)
    by_name = {a["name"]: a for a in snap["agents"]}
    for kit in run.kits:
        with kit.sessions() as s:
            names = s.scalars(select(m.User.username).join(m.Agent, m.Agent.user_id == m.User.id)
                              .where(m.Agent.id.in_(kit.agent_ids))).all()
        assert len(names) == len(kit.agent_ids) > 0
        for name in names:
            assert by_name[name]["state"] != AgentState.LOGGED_OUT.value, (kit.node_name, by_name[name])
            assert by_name[name]["campaign"] == "faults", by_name[name]
            assert f'data-agent="{name}"' in html, name


def test_one_campaign_on_two_nodes_with_standbys_survives_a_kill_on_each(
        sandbox, pg_database_url, tmp_path):
    _empty_pg_schema(pg_database_url)
    sandbox_cli.up(sandbox.settings, "freeswitch")
    first = Kit(sandbox, tmp_path / "pbx", url=pg_database_url)
    kits = multinode.node_kits(first, tmp_path)
    board = web_client(first, tmp_path, UserRole.SUPERVISOR)
    try:
        with MultiNodeRun(kits, pg_url=pg_database_url, leads=160, serial=900) as run:
            run.wait_dialing()
            board_shows_both_nodes_at_work(board, run)
            for node in range(len(kits)):
                run.inject(node, "kill9_active")
            run.wait_all_dialed()
            # The campaign paused with every call ended: what the board shows must be the database's.
            run.nodes[0].drain_calls()
            snap = board.get("/wallboard/snapshot.json").get_json()
            verdict = run.finish()
        print(table(verdict.results), verdict, f"failover_s={run.failover_s()}",
              f"attempts by node: {run.attempts_by_node()}", sep="\n")
        assert verdict.stuck == 0, table(verdict.results)
        assert (verdict.lost_leads, verdict.duplicate_originates, verdict.overlapping, verdict.unreconciled,
                verdict.charged_refusals) == (0, 0, 0, 0, 0), verdict

        dials = multinode.dials_per_lead(first, run.campaign_id)
        assert set(dials.values()) == {1}, {lead: n for lead, n in dials.items() if n != 1}
        assert set(run.attempts_by_node()) == {kit.node_name for kit in kits}  # both nodes dialed

        stored = multinode.counts_by_node(first, run.campaign_id)
        truth = multinode.truth_by_node(first, run.campaign_id)
        assert stored == truth, (stored, truth)
        assert multinode.shared_minutes(first, run.campaign_id) >= 1  # both nodes wrote one minute's counts
        total = Counts(*(sum(getattr(c, f) for c in truth.values()) for f in ("live_answers", "abandons",
                                                                              "machines")))

        [campaign] = [c for c in snap["campaigns"] if c["id"] == run.campaign_id]
        assert (campaign["in_flight"], snap["ringing"], snap["waiting"]) == (0, 0, 0)
        rate = abandon_rate(AbandonWindow(24 * 3600, total.abandons, total.live_answers, 0.0))
        assert campaign["abandon_24h"] == pytest.approx(rate), (campaign, total)
        attempts = first.attempts(run.campaign_id)
        assert sum(h["dials"] for h in snap["calls_per_hour"]) == len(attempts)
        assert sum(h["connects"] for h in snap["calls_per_hour"]) == sum(a.bridged_at is not None
                                                                         for a in attempts)
    finally:
        for kit in kits:
            kit.close()
