"""Desk commands by LISTEN/NOTIFY on a real PostgreSQL: the web's enqueue wakes the node's runner.

The listener (``runner.wakeup``) is driven exactly as the runners drive it; ``wake`` here counts
instead of cutting a poller's sleep. Waits are loops on a condition, never fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from runner.wakeup import CommandWakeup, start_for
from store import desk_queue
from store.db import make_engine, session_factory
from store.models import DeskRequest
from tests.db.test_desk_queue import _nodes as two_nodes


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


@dataclass
class Listening:
    sessions: sessionmaker[Session]
    ours: int
    other: int
    wakes: Wakes
    listener: CommandWakeup

    def queue(self, node_id: int | None) -> None:
        """A desk request queued and committed as the web does."""
        with self.sessions.begin() as s:
            desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=node_id))


@pytest.fixture
def listening(pg_engine) -> Iterator[Listening]:
    """Two nodes, and the listener of the first one's runner, started as the runners start it."""
    sessions = session_factory(pg_engine)
    ours, other = two_nodes(sessions)
    wakes = Wakes()
    listener = start_for(sessions, ours, wakes)
    assert isinstance(listener, CommandWakeup)
    try:
        until("listening", lambda: listener.connects == 1)
        yield Listening(sessions, ours, other, wakes, listener)
    finally:
        listener.stop()


@pytest.mark.postgres
def test_a_committed_request_for_our_node_wakes_the_runner_others_do_not(listening):
    until("the wake after connecting: catch up at once", lambda: listening.wakes.count == 1)
    listening.queue(listening.other)
    listening.queue(listening.ours)
    until("woken for our request", lambda: listening.listener.notified == 1)
    with listening.sessions() as s:  # rolled back: never notified
        desk_queue.enqueue(s, DeskRequest(kind="agent_state", node_id=listening.ours))
        s.rollback()
    listening.queue(None)  # any node's request wakes every runner
    until("woken for the any-node request", lambda: listening.listener.notified == 2)
    listening.queue(listening.ours)
    until("woken again", lambda: listening.listener.notified == 3)
    assert listening.wakes.count == 4


@pytest.mark.postgres
def test_the_listener_reconnects_after_losing_its_connection(listening, pg_engine):
    with pg_engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    until("listening again", lambda: listening.listener.connects == 2)
    listening.queue(listening.ours)
    until("woken after the reconnect", lambda: listening.listener.notified == 1)


def test_on_sqlite_there_is_no_listener_runners_poll(tmp_path):
    from store import migrate

    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    assert start_for(session_factory(engine), 1, Wakes()) is None
    engine.dispose()
