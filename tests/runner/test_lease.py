"""Standby runners' lease on a real PostgreSQL: taking over, fencing the old holder's writes, and a
single runner (no standby) that no lease can stop.

The clock of a ``NodeLease`` is made up where the test needs its deadline to pass; the database's
own clock decides expiry, so a takeover waits (in a loop, never a fixed sleep) for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from lab.faults import TcpGate, gated_url
from orchestrator import commands as c
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import Answered, PbxConnected
from orchestrator.node.lease import LeaseLost, LeaseTerms
from runner.lease import (
    NodeLease,
    StandbyNeedsPostgres,
    StandbySwitchedOn,
    limit_idle_transactions,
    wait_while_leased,
)
from runner.node import RunnerOptions, load_node
from store import leases
from store import models as m
from store.db import make_engine, session_factory
from store.enums import LeadStatus, Outcome
from tests.db.builders import TEST_SEALER
from tests.runner.core_probe import Core
from tests.runner.test_outage import seed, until

pytestmark = pytest.mark.postgres

#: Short, so a takeover in the tests waits about a second.
SHORT = LeaseTerms(ttl_s=1.0, renew_every_s=0.2, margin_s=0.2)


class Clock:
    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


def take_over(lease: NodeLease, timeout: float = 15.0) -> None:
    """Until ``lease`` holds its node (the other holder's lease expired by the database's clock)."""
    deadline = time.monotonic() + timeout
    while not lease.try_acquire():
        assert time.monotonic() < deadline, "the lease was never free"
        time.sleep(0.05)


def node_id(sessions) -> int:
    seed(sessions, ["+12025550111"])
    with sessions() as s:
        return load_node(s, "pbx", TEST_SEALER).id


def test_one_holder_at_a_time_and_each_takeover_a_higher_token(pg_engine):
    sessions = session_factory(pg_engine)
    node = node_id(sessions)
    active, standby = NodeLease(sessions, node, SHORT), NodeLease(sessions, node, SHORT)
    assert active.try_acquire()
    assert not standby.try_acquire()
    assert active.try_acquire()  # the holder taking it again: a new token, still one holder
    assert active.held is not None
    assert active.held.token == 2
    take_over(standby)
    assert standby.held is not None
    assert standby.held.token == 3
    with sessions.begin() as s, pytest.raises(LeaseLost, match="taken over"):
        leases.fence(s, node, 2)


def test_the_old_holder_renewing_learns_it_was_taken_over(pg_engine):
    sessions = session_factory(pg_engine)
    node = node_id(sessions)
    clock = Clock()
    active, standby = NodeLease(sessions, node, SHORT, clock=clock), NodeLease(sessions, node, SHORT)
    assert active.try_acquire()
    take_over(standby)  # the active was hung meanwhile: its clock did not move
    clock.now += 2 * SHORT.renew_every_s  # a renewal is due, and by its clock the lease still holds
    with pytest.raises(LeaseLost, match="taken over"):
        active.keep()


def test_a_clean_stop_hands_the_lease_on_at_once(pg_engine):
    sessions = session_factory(pg_engine)
    node = node_id(sessions)
    active, standby = NodeLease(sessions, node, LeaseTerms(ttl_s=600.0)), NodeLease(sessions, node)
    assert active.try_acquire()
    assert not standby.try_acquire()
    active.release()
    assert standby.try_acquire()


def test_a_taken_over_runner_writes_nothing_and_claims_nothing(pg_engine):
    sessions = session_factory(pg_engine)
    agent_id, campaign_id = seed(sessions, ["+12025550121", "+12025550122"])
    with sessions() as s:
        node = load_node(s, "pbx", TEST_SEALER)
    lease = NodeLease(sessions, node.id, SHORT, clock=Clock())  # hung: by its clock, still its lease
    assert lease.try_acquire()
    core = Core(sessions, node, RunnerOptions(), lease=lease)
    assert core.recover() == 0
    take_over(NodeLease(sessions, node.id, SHORT))
    with pytest.raises(LeaseLost):
        core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.AgentStateLog)) == 0
        dialing = select(func.count()).select_from(m.Lead).where(m.Lead.status == LeadStatus.DIALING)
        assert s.scalar(dialing) == 0
    with pytest.raises(LeaseLost):
        core.slots[campaign_id].leads.claim(1, time.time())


def cut_core(pg_engine, gate: TcpGate, lease_for: Callable[..., NodeLease | None]):
    """A started core whose database goes through ``gate``, holding ``lease_for(sessions, node)``."""
    engine = make_engine(gated_url(pg_engine.url.render_as_string(hide_password=False), gate))
    sessions = session_factory(engine)
    agent_id, campaign_id = seed(sessions, ["+12025550131"])
    with sessions() as s:
        node = load_node(s, "pbx", TEST_SEALER)
    lease = lease_for(sessions, node.id)
    assert lease is None or lease.try_acquire()
    core = Core(sessions, node, RunnerOptions(), lease=lease)
    assert core.recover() == 0
    core.start(PbxConnected(time.time(), "pbx"))
    return engine, core, agent_id, campaign_id


def test_with_a_standby_the_active_cut_from_the_database_stops_acting_when_its_lease_runs_out(pg_engine):
    clock = Clock()
    with TcpGate("127.0.0.1", pg_engine.url.port or 5432) as gate:
        engine, core, agent_id, campaign_id = cut_core(
            pg_engine, gate, lambda s, n: NodeLease(s, n, SHORT, clock=clock)
        )
        gate.close()
        # the agent's leg: sent
        core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
        (leg,) = [x for x in core.sent if isinstance(x, c.Originate)]
        core.housekeeping(time.monotonic())
        core.may_send()  # within its lease: still acting
        clock.now += SHORT.ttl_s
        with pytest.raises(LeaseLost):
            core.housekeeping(time.monotonic())
        with pytest.raises(LeaseLost):
            core.may_send()
        assert core.sent == [leg]
        engine.dispose()


def test_with_a_standby_a_customer_call_whose_attempt_was_not_stored_is_never_placed(pg_engine):
    """The database goes between the lead's claim and its attempt's write: the call is refused, not
    placed (a standby taking over would give the lead back and dial it while it rang)."""
    clock = Clock()
    with TcpGate("127.0.0.1", pg_engine.url.port or 5432) as gate:
        engine, core, agent_id, campaign_id = cut_core(
            pg_engine, gate, lambda s, n: NodeLease(s, n, SHORT, clock=clock)
        )
        core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
        (leg,) = [x for x in core.sent if isinstance(x, c.Originate)]
        source = core.slots[campaign_id].leads
        claim, claimed = source.claim, []

        def claim_then_cut(n, now):
            leads = claim(n, now)
            if leads:
                claimed.extend(leads)
                gate.close()
            return leads

        source.claim = claim_then_cut  # type: ignore[method-assign]
        core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
        until("a lead claimed", lambda: bool(claimed), core)
        assert [x for x in core.sent if isinstance(x, c.Originate)] == [leg]  # the customer never dialed
        gate.open()
        until("the kept facts written", lambda: not core.unwritten, core)
        with core.sessions() as s:
            (attempt,) = s.scalars(select(m.Attempt).where(m.Attempt.lead_id == claimed[0].lead_id)).all()
            assert attempt.outcome is Outcome.REFUSED
            assert s.get(m.Lead, attempt.lead_id).attempts == 0  # not charged
        engine.dispose()


def test_without_a_standby_nothing_stops_the_runner_while_the_database_is_out(pg_engine):
    """No lease: the runner keeps sending (the long outages are ``tests/faults``' 30 s cut)."""
    with TcpGate("127.0.0.1", pg_engine.url.port or 5432) as gate:
        engine, core, agent_id, campaign_id = cut_core(pg_engine, gate, lambda s, n: None)
        gate.close()
        core.feed(AgentLogin(time.time(), campaign_id, agent_id, c.Endpoint(c.EndpointKind.SEAT, "agent001")))
        core.housekeeping(time.monotonic())
        core.may_send()
        assert [x for x in core.sent if isinstance(x, c.Originate)]
        engine.dispose()


def test_a_standby_on_sqlite_is_refused_plainly(tmp_path):
    from store import migrate

    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with pytest.raises(StandbyNeedsPostgres, match="needs PostgreSQL"):
        NodeLease(session_factory(engine), 1)
    engine.dispose()


def test_a_runner_without_a_lease_stops_when_its_node_is_given_a_standby(pg_engine):
    """So that it starts again holding the lease before the second runner, started next, could act."""
    sessions = session_factory(pg_engine)
    seed(sessions, ["+12025550141"])
    with sessions() as s:
        node = load_node(s, "pbx", TEST_SEALER)
    core = Core(sessions, node, RunnerOptions())
    assert core.recover() == 0
    core.sync_campaigns()
    with sessions.begin() as s:
        s.get(m.PbxNode, node.id).standby = True
    with pytest.raises(StandbySwitchedOn):
        core.sync_campaigns()


def test_a_runner_without_a_standby_waits_until_the_lease_is_let_go(pg_engine):
    sessions = session_factory(pg_engine)
    node = node_id(sessions)
    active = NodeLease(sessions, node, LeaseTerms(ttl_s=600.0))
    assert active.try_acquire()
    waited: list[float] = []

    def stopped(seconds: float) -> bool:
        waited.append(seconds)
        if len(waited) == 3:
            active.release()  # the old pair stopped
        return False

    assert wait_while_leased(sessions, node, stopped)
    assert len(waited) == 3
    active.try_acquire()
    assert not wait_while_leased(sessions, node, lambda _s: True)  # SIGTERM while waiting


def test_a_holder_frozen_inside_a_fenced_write_cannot_block_the_takeover(pg_engine):
    """Its transaction holds the lease row; the server ends it (``limit_idle_transactions``), its writes
    roll back, and the standby takes over once the lease expired."""
    url = pg_engine.url.render_as_string(hide_password=False)
    frozen_engine = make_engine(url)
    limit_idle_transactions(frozen_engine, SHORT)
    standby_engine = make_engine(url, connect_args={"options": "-c lock_timeout=15000"})  # never hangs
    frozen_sessions, standby_sessions = session_factory(frozen_engine), session_factory(standby_engine)
    node = node_id(standby_sessions)  # seeded apart: hashing passwords under load outlasts the idle limit
    frozen = NodeLease(frozen_sessions, node, SHORT, clock=Clock())
    assert frozen.try_acquire()
    session = frozen_sessions()
    session.begin()
    frozen.fence(session)  # ... and the process stops here, the row lock held
    session.execute(update(m.Lead).values(attempts=m.Lead.attempts + 7))
    take_over(NodeLease(standby_sessions, node, SHORT))
    with pytest.raises(DBAPIError):
        session.commit()
    session.close()
    with standby_sessions() as s:
        assert s.scalar(select(func.max(m.Lead.attempts))) == 0  # the frozen write was rolled back
    frozen_engine.dispose()
    standby_engine.dispose()
