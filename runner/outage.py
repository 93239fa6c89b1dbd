"""When the database is unreachable or busy: wait, retry with backoff, carry on.

The runner's calls must not end because PostgreSQL restarted or an import held
SQLite's write lock. Every database call of the runner goes through one
:class:`DbGate`: after a failure it is closed for a backoff delay (nothing
tries the database meanwhile, so the loop never stalls on a dead server once
per tick), then the next caller tries again; a success resets it.

Only outages are absorbed (``store.outage.is_outage``). Any other
database error is a bug or bad data and still stops the runner.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from orchestrator.backoff import Backoff
from store.outage import describe, is_outage

log = logging.getLogger("runner")

#: Short waits: the target is a recovery within seconds of the database coming back.
DB_BACKOFF = Backoff(initial=0.25, maximum=2.0)


#: The runner's wait for SQLite's write lock. Short: its loop handles calls while it waits, and a
#: lock held longer (a large import) is an outage it rides out, not a reason to stall.
RUNNER_BUSY_TIMEOUT_MS = 300


def short_lock_wait(engine: Engine) -> None:
    """Make ``engine``'s SQLite connections wait at most ``RUNNER_BUSY_TIMEOUT_MS`` for the write lock."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _short_busy_wait)


def _short_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={RUNNER_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class DbGate:
    """Whether to try the database now; backoff after failures, shared by all of a runner's calls."""

    def __init__(self, backoff: Backoff = DB_BACKOFF, *, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.backoff = backoff
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - retry jitter, not a secret
        self.failures = 0  # consecutive
        self.outages = 0  # since start (status and tests)
        self._closed_until = 0.0
        self.down_since: float | None = None

    @property
    def down(self) -> bool:
        return self.failures > 0

    def open(self) -> bool:
        """True when a database call may be tried now."""
        return self._clock() >= self._closed_until

    def retry_in(self) -> float:
        """Seconds until :meth:`open` turns true."""
        return max(0.0, self._closed_until - self._clock())

    def failed(self, what: str, exc: BaseException) -> None:
        """Record an outage seen by ``what``; re-raise anything that is not one."""
        if not is_outage(exc):
            raise exc
        delay = self.backoff.delay(self.failures, self._rng)
        if self.failures == 0:
            self.outages += 1
            self.down_since = self._clock()
        self.failures += 1
        self._closed_until = self._clock() + delay
        log.warning("database unavailable during %s (failure %d), retry in %.2f s: %s", what, self.failures,
                    delay, describe(exc))

    def succeeded(self) -> None:
        if self.failures:
            down = self._clock() - (self.down_since or self._clock())
            log.info("database back after %.1f s (%d failed tries)", down, self.failures)
        self.failures, self._closed_until, self.down_since = 0, 0.0, None
