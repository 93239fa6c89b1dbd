"""Desk commands by LISTEN/NOTIFY on a real PostgreSQL: the web's enqueue wakes the node's runner.

The listener (``runner.wakeup``) is driven exactly as the runners drive it; ``wake`` here counts
instead of cutting a poller's sleep. Waits are loops on a condition, never fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from runner.wakeup import CommandWakeup, start_for
from store import desk_queue
from store.db import make_engine, session_factory
from store.enums import PbxKind
from store.models import DeskRequest, PbxNode


class Wakes:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.count += 1


def until(what: str, pred: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def two_nodes(sessions) -> tuple[int, int]:
    with sessions.begin() as s:
        nodes = [PbxNode(name=n, kind=PbxKind.ASTERISK, host="127.0.0.2", port=5038) for n in ("n1", "n2")]
        s.add_all(nodes)
        s.flush()
        return nodes[0].id, nodes[1].id


@pytest.mark.postgres
def test_a_committed_request_for_our_node_wakes_the_runner_others_do_not(pg_engine):
    sessions = session_factory(pg_engine)
    ours, other = two_nodes(sessions)
    wakes = Wakes()
    listener = start_for(sessions, ours, wakes)
    assert isinstance(listener, CommandWakeup)
    try:
        until("listening", lambda: wakes.count == 1)  # the wake after connecting: catch up at once
        with sessions.begin() as s:
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=other))
        with sessions.begin() as s:
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=ours))
        until("woken for our request", lambda: listener.notified == 1)
        with sessions() as s:  # rolled back: never notified
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=ours))
            s.rollback()
        with sessions.begin() as s:  # any node's request wakes every runner
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=None))
        until("woken for the any-node request", lambda: listener.notified == 2)
        with sessions.begin() as s:
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=ours))
        until("woken again", lambda: listener.notified == 3)
        assert wakes.count == 4
    finally:
        listener.stop()


@pytest.mark.postgres
def test_the_listener_reconnects_after_losing_its_connection(pg_engine):
    sessions = session_factory(pg_engine)
    ours, _ = two_nodes(sessions)
    wakes = Wakes()
    listener = start_for(sessions, ours, wakes)
    assert listener is not None
    try:
        until("listening", lambda: listener.connects == 1)
        with pg_engine.connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        until("listening again", lambda: listener.connects == 2)
        with sessions.begin() as s:
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=ours))
        until("woken after the reconnect", lambda: listener.notified == 1)
    finally:
        listener.stop()


def test_on_sqlite_there_is_no_listener_runners_poll(tmp_path):
    from store import migrate

    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    assert start_for(session_factory(engine), 1, Wakes()) is None
    engine.dispose()
