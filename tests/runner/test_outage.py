"""The runner core rides out a database outage: calls go on, facts are kept in order and written later.

Real databases: SQLite with its write lock held by another connection (as a
large import does), PostgreSQL reached through a TCP gate that the test
closes (as a server restart looks from the runner) and whose backends it
terminates. The core is the production ``NodeCore``; only the PBX side is
replaced by a list of the commands it would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from lab import demo
from lab.faults import TcpGate, gated_url, hold_sqlite_write_lock
from orchestrator import commands as c
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import AgentState, Answered, PbxConnected, Tick
from runner.node import RunnerOptions, load_node
from runner.outage import short_lock_wait
from store import models as m
from store.db import make_engine, session_factory
from store.enums import CampaignMode, LeadStatus
from tests.db.builders import TEST_SEALER
from tests.runner.core_probe import Core


def seed(sessions, numbers: list[str]) -> tuple[int, int]:
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("pbx", "127.0.0.1", 5038, "u", "p"))
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "x")])
        campaign = demo.create_campaign(s, "outage", CampaignMode.PROGRESSIVE, numbers)
        return agent.id, campaign.id


def started_core(sessions) -> Core:
    with sessions() as s:
        core = Core(sessions, load_node(s, "pbx", TEST_SEALER), RunnerOptions())
    assert core.recover() == 0
    core.start(PbxConnected(time.time(), "pbx"))
    return core


def until(what: str, pred: Callable[[], bool], core: Core, timeout: float = 30.0) -> None:
    """Tick the core (as the runtime does) until ``pred`` holds."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        core.feed(Tick(time.time()))
        core.housekeeping(time.monotonic())
        time.sleep(0.05)


def agent_states(sessions, agent_id: int) -> list[tuple[str, str]]:
    with sessions() as s:
        rows = s.scalars(select(m.AgentStateLog).where(m.AgentStateLog.agent_id == agent_id)
                         .order_by(m.AgentStateLog.id))
        return [(r.state.value, r.reason) for r in rows]


def outage_then_recovery(sessions, outage, restore: Callable[[], None]) -> None:
    """During ``outage``: an agent logs in and answers their leg (facts kept, commands sent),
    no lead is claimed; after it, the kept facts are written in order and the campaign dials."""
    agent_id, campaign_id = seed(sessions, ["+12025550101", "+12025550102"])
    core = started_core(sessions)
    with outage():
        core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
        (leg,) = [x for x in core.sent if isinstance(x, c.Originate)]
        core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
        core.feed(Tick(time.time()))
        core.housekeeping(time.monotonic())
        assert core.db.down
        assert len(core.unwritten) == 2
        assert [x for x in core.sent if isinstance(x, c.Originate)] == [leg]  # nothing claimed
        assert core.slots[campaign_id].dialer.agents.agents[agent_id].state is AgentState.READY
    restore()
    until("the kept facts written", lambda: not core.unwritten, core)
    assert agent_states(sessions, agent_id) == [("paused", "connecting"), ("ready", "")]
    until("a customer dialed", lambda: any(isinstance(x, c.Originate) and x.endpoint.number
                                           for x in core.sent), core)
    with sessions() as s:
        dialing = s.scalars(select(m.Lead).where(m.Lead.status == LeadStatus.DIALING)).all()
        assert len(dialing) == 1
        assert s.scalar(select(m.Attempt).where(m.Attempt.lead_id == dialing[0].id))
    assert core.db.outages == 1


def test_sqlite_write_lock_held_the_core_carries_on_and_writes_later(tmp_path):
    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    from store import migrate

    migrate.upgrade(url)
    engine = make_engine(url)
    short_lock_wait(engine)
    sessions = session_factory(engine)
    lock = hold_sqlite_write_lock(url)
    outage_then_recovery(sessions, lambda: lock, lambda: None)
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_cut_the_core_carries_on_and_writes_later(pg_engine):
    with TcpGate("127.0.0.1", pg_engine.url.port or 5432) as gate:
        engine = make_engine(gated_url(pg_engine.url.render_as_string(hide_password=False), gate))
        sessions = session_factory(engine)

        class Cut:
            def __enter__(self) -> None:
                gate.close()

            def __exit__(self, *exc: object) -> None:
                pass

        outage_then_recovery(sessions, Cut, gate.open)
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_backends_terminated_the_core_reconnects(pg_engine):
    sessions = session_factory(pg_engine)
    agent_id, campaign_id = seed(sessions, ["+12025550103"])
    core = started_core(sessions)
    with pg_engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
    until("the login written", lambda: not core.unwritten, core)
    assert agent_states(sessions, agent_id) == [("paused", "connecting")]
