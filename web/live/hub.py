"""One change poller per web process, fanning out to every live page it serves.

A page's event stream (``web.live.stream``) waits on the hub for its topics;
the hub's one thread reads the fingerprints (``web.live.changes.observe``)
every ``interval_s`` while at least one stream listens, and wakes the streams
whose topics moved. So 60 open pages cost one small read per tick, not 60; a
page refetches its parts only when what it shows changed.

The thread runs only while someone listens: it stops ``IDLE_STOP_S`` after the
last stream left, and the next stream starts it again (its first reading is
the baseline: a stream that connects asks its page to catch up once anyway).
A failed reading (database restarting) is logged once and retried every tick;
the streams simply hear nothing meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

from store.types import utcnow
from web.live.changes import observe

log = logging.getLogger(__name__)

#: How often the poller reads the fingerprints: the floor of the push latency.
INTERVAL_S = 0.1
#: A part computed for one page serves the others told of the same change for at most this long.
SHARED_MAX_AGE_S = 1.0
#: The poller stops this long after the last listener left.
IDLE_STOP_S = 5.0

Observer = Callable[[Session, datetime], dict[str, Hashable]]
T = TypeVar("T")


class Hub:
    """Topic versions (a process-wide sequence number per change) and the thread that bumps them."""

    def __init__(
        self, sessions: sessionmaker[Session], interval_s: float = INTERVAL_S, observer: Observer = observe
    ) -> None:
        self._sessions = sessions
        self._interval_s = interval_s
        self._observer = observer
        self._cond = threading.Condition()
        self._versions: dict[str, int] = {}
        self._prints: dict[str, Hashable] = {}
        self._seq = 0
        self._listeners = 0
        self._idle_since: float | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._locks: dict[Hashable, threading.Lock] = {}
        self._shared: dict[Hashable, tuple[int, float, object]] = {}
        #: Changes with each start of the poller: a page rendered before it cannot trust ``seq``.
        self.epoch = ""

    @property
    def seq(self) -> int:
        with self._cond:
            return self._seq

    def mark(self) -> str:
        """What a page was rendered at (``epoch:seq``): its stream catches up at once if anything moved
        since."""
        with self._cond:
            return f"{self.epoch}:{self._seq}"

    def shared(self, key: Hashable, compute: Callable[[], T], max_age_s: float = SHARED_MAX_AGE_S) -> T:
        """``compute()``, or what it gave another page for ``key`` since the last change (and less than
        ``max_age_s`` ago): the pages told of one change ask for the same part at once, and the first
        one's answer serves the others (the seven wallboards of one scope read the board once)."""
        with self._cond:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            seq, now = self.seq, time.monotonic()
            hit = self._shared.get(key)
            if hit is not None and hit[0] == seq and now - hit[1] < max_age_s:
                return cast(T, hit[2])
            value = compute()
            self._shared[key] = (seq, now, value)
            return value

    def listen(self) -> _Listening:
        return _Listening(self)

    def _join(self) -> None:
        with self._cond:
            self._listeners += 1
            self._idle_since = None
            if self._thread is None or not self._thread.is_alive():
                self.epoch = uuid.uuid4().hex[:8]
                self._prints = {}
                self._thread = threading.Thread(target=self._run, name="live-changes", daemon=True)
                self._thread.start()

    def _leave(self) -> None:
        with self._cond:
            self._listeners -= 1
            if self._listeners == 0:
                self._idle_since = time.monotonic()

    def changed_since(self, mark: str, topics: Iterable[str]) -> bool:
        """Whether any of ``topics`` moved after ``mark`` (another epoch: assume it did)."""
        epoch, _, seq = mark.partition(":")
        with self._cond:
            if epoch != self.epoch or not seq.isdigit():
                return True
            return any(self._versions.get(t, 0) > int(seq) for t in topics)

    def wait(self, topics: Iterable[str], after: int, timeout_s: float) -> int | None:
        """Block until one of ``topics`` changes after sequence ``after``: the new sequence, or None
        on timeout."""
        wanted = tuple(topics)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if any(self._versions.get(t, 0) > after for t in wanted):
                    return self._seq
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def stop(self) -> None:
        """End the poller now (the app is going away: tests dispose its engine and drop its database)."""
        with self._cond:
            thread, self._stopping = self._thread, True
        if thread is not None:
            thread.join()
        with self._cond:
            self._stopping = False

    def _run(self) -> None:
        failing = False  # said once per outage, not ten times a second
        while True:
            with self._cond:
                idle = self._idle_since is not None and time.monotonic() - self._idle_since > IDLE_STOP_S
                if idle or self._stopping:
                    self._thread = None
                    return
            started = time.monotonic()
            try:
                with self._sessions() as session:
                    prints = self._observer(session, utcnow())
            except Exception:  # the database restarting: tell no one, read again next tick
                if not failing:
                    log.exception("live updates: reading the change fingerprints failed; retrying")
                failing = True
            else:
                if failing:
                    log.info("live updates: reading the change fingerprints again")
                failing = False
                self._publish(prints)
            time.sleep(max(0.0, self._interval_s - (time.monotonic() - started)))

    def _publish(self, prints: dict[str, Hashable]) -> None:
        with self._cond:
            first = not self._prints
            moved = [t for t in prints.keys() | self._prints.keys() if prints.get(t) != self._prints.get(t)]
            self._prints = prints
            if first or not moved:
                return
            self._seq += 1
            for topic in moved:
                self._versions[topic] = self._seq
            self._cond.notify_all()


class _Listening:
    """``with hub.listen():`` keeps the poller running for one stream."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def __enter__(self) -> Hub:
        self._hub._join()
        return self._hub

    def __exit__(self, *_exc: object) -> None:
        self._hub._leave()
