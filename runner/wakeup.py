"""Desk commands by PostgreSQL ``LISTEN``: wake the runner's command poll the moment the web queues one.

The web sends ``NOTIFY`` on ``desk_queue.CHANNEL`` with the node's id when it
queues a desk request (``store.desk_queue.enqueue``). :class:`CommandWakeup`
listens on a connection of its own in a thread of its own, so connecting,
reconnecting (with backoff) and waiting never stall the runner's loop; each
notification for our node calls ``wake`` -- the runtime's thread-safe way to
cut its poller's sleep short (``loop.call_soon_threadsafe`` for asyncio, an
``async_`` watcher for gevent). After every (re)connect it wakes once: what
was queued while it was away is taken at once.

Polling every ``poll_s`` stays: it is the fallback while the listener is away,
and the only path on SQLite (no listener is started there).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from runner.outage import DB_BACKOFF
from store.desk_queue import CHANNEL, wakes

log = logging.getLogger("runner")

#: How long one wait for notifications lasts before the thread looks whether it should stop.
WAIT_S = 1.0
CONNECT_TIMEOUT_S = 3


def listens(engine: Engine) -> bool:
    """Whether commands can come by ``LISTEN`` on ``engine``'s database (PostgreSQL only)."""
    return engine.dialect.name == "postgresql"


def start_for(
    sessions: sessionmaker[Session], node_id: int, wake: Callable[[], None]
) -> CommandWakeup | None:
    """A started listener for the runner of ``node_id`` on ``sessions``' database; None on SQLite."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, Engine) or not listens(engine):
        return None
    return CommandWakeup(engine, node_id, wake).start()


class CommandWakeup:
    """``LISTEN`` for node ``node_id``'s desk requests in a daemon thread; :meth:`stop` ends it."""

    def __init__(self, engine: Engine, node_id: int, wake: Callable[[], None]) -> None:
        if not listens(engine):
            raise ValueError(f"LISTEN needs PostgreSQL, not {engine.dialect.name}")
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect_args: tuple[Any, ...] = tuple(cargs)
        # keepalives: a link cut without a close (a dead host) is noticed in seconds, not hours
        self._connect_params: dict[str, Any] = {
            **cparams,
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
        }
        self.node_id = node_id
        self._wake = wake
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"wakeup-{node_id}", daemon=True)
        self.connects = 0  # (status and tests)
        self.notified = 0

    def start(self) -> CommandWakeup:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(WAIT_S + CONNECT_TIMEOUT_S + 1)

    def _run(self) -> None:
        failures, rng = 0, random.Random()  # noqa: S311 - retry jitter, not a secret
        while not self._stopping.is_set():
            try:
                self._listen()
                failures = 0
            except psycopg.Error as exc:
                delay = DB_BACKOFF.delay(failures, rng)
                failures += 1
                log.warning(
                    "command listener lost the database, polling meanwhile; retry in %.2f s: %s",
                    delay,
                    type(exc).__name__,
                )
                self._stopping.wait(delay)

    def _listen(self) -> None:
        with psycopg.connect(*self._connect_args, **self._connect_params) as conn:
            conn.execute(f'LISTEN "{CHANNEL}"')
            self.connects += 1
            log.info("command listener on node_id=%s", self.node_id)
            self._wake()  # whatever came while we were not listening
            while not self._stopping.is_set():
                for note in conn.notifies(timeout=WAIT_S):
                    if wakes(note.payload, self.node_id):
                        self.notified += 1
                        self._wake()
