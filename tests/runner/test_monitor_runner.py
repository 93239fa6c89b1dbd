"""Monitoring in the production ``NodeCore`` (real SQLite and PostgreSQL; the PBX side is a list of
commands): the desk request through the core to the session's audit row, and a restart mid-session."""

from __future__ import annotations

import time

from sqlalchemy import select

from lab import demo
from orchestrator import commands as c
from orchestrator.events import PbxConnected
from orchestrator.monitor import MonitorMode
from runner.node import RunnerOptions, load_node
from runner.recovery import MONITOR_CUT
from store import desk_queue
from store import models as m
from store.enums import DeskCommand, DeskRequestStatus, UserRole
from tests.db.builders import TEST_SEALER
from tests.runner.core_probe import Core


def floor(sessions) -> tuple[int, int, int]:
    """A node with an agent's seat and a team leader's: (agent id, leader's seat id, leader id)."""
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("pbx", "127.0.0.1", 5038, "u", "p"))
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "x")])
        (seat,) = demo.ensure_seats(s, TEST_SEALER, node, [("leader01", "y")])
        leader = m.User(username="lead", password_hash="-", role=UserRole.TEAM_LEADER)
        s.add(leader)
        s.flush()
        return agent.id, seat.id, leader.id


def session_row(sessions, agent_id: int, seat_id: int, leader_id: int, **values: object) -> int:
    with sessions.begin() as s:
        row = m.MonitorSession(
            supervisor_id=leader_id,
            supervisor="lead",
            agent_id=agent_id,
            seat_id=seat_id,
            node_id=s.scalar(select(m.PbxNode.id)),
            mode=MonitorMode.LISTEN,
            **values,
        )
        s.add(row)
        s.flush()
        return row.id


def started_core(sessions, live: frozenset[str] = frozenset()) -> Core:
    with sessions() as s:
        core = Core(sessions, load_node(s, "pbx", TEST_SEALER), RunnerOptions())
    core.recover()
    core.start(PbxConnected(time.time(), "pbx", live_channel_ids=live))
    return core


def test_a_request_for_an_agent_not_logged_in_ends_the_session_with_the_reason_and_calls_nobody(sessions):
    agent_id, seat_id, leader_id = floor(sessions)
    core = started_core(sessions)
    session_id = session_row(sessions, agent_id, seat_id, leader_id)
    with sessions.begin() as s:
        desk_queue.enqueue(
            s,
            m.DeskRequest(
                kind=DeskCommand.MONITOR,
                node_id=s.scalar(select(m.PbxNode.id)),
                agent_id=agent_id,
                payload={"session_id": session_id},
            ),
        )
    assert core.poll_commands() == 1
    assert not [x for x in core.sent if isinstance(x, c.Originate)]
    with sessions() as s:
        row = s.get(m.MonitorSession, session_id)
        assert row.outcome == "the agent is not logged in here"
        assert row.ended_at is not None
        assert s.scalars(select(m.DeskRequest)).one().status is DeskRequestStatus.DONE


def test_a_session_for_another_agent_or_a_seat_elsewhere_is_refused_with_the_reason(sessions):
    agent_id, seat_id, leader_id = floor(sessions)
    core = started_core(sessions)
    session_id = session_row(sessions, agent_id, seat_id, leader_id)
    with sessions.begin() as s:
        (other,) = demo.ensure_agents(s, TEST_SEALER, s.scalar(select(m.PbxNode)), [("agent002", "z")])
        desk_queue.enqueue(
            s,
            m.DeskRequest(
                kind=DeskCommand.MONITOR,
                node_id=s.scalar(select(m.PbxNode.id)),
                agent_id=other.id,
                payload={"session_id": session_id},
            ),
        )
    core.poll_commands()
    with sessions() as s:
        request = s.scalars(select(m.DeskRequest)).one()
        assert request.status is DeskRequestStatus.FAILED
        assert request.error == "monitor: unknown monitoring session"
    assert core.sent == []


def test_a_restarted_runner_closes_the_sessions_it_no_longer_follows_and_hangs_up_their_live_legs(sessions):
    agent_id, seat_id, leader_id = floor(sessions)
    live = session_row(sessions, agent_id, seat_id, leader_id, channel_id="leg-live")
    gone = session_row(sessions, agent_id, seat_id, leader_id, channel_id="leg-gone")
    waiting = session_row(sessions, agent_id, seat_id, leader_id)  # its desk request not taken yet
    core = started_core(sessions, live=frozenset({"leg-live", "someone-else"}))
    assert core.sent == [c.Hangup("leg-live")]
    with sessions() as s:
        for closed in (live, gone):
            row = s.get(m.MonitorSession, closed)
            assert (row.outcome, row.ended_at is not None) == (MONITOR_CUT, True)
        assert s.get(m.MonitorSession, waiting).ended_at is None
