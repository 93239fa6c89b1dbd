"""Collect the core events an adapter emits and wait for them (never sleep blindly)."""

from __future__ import annotations

from collections.abc import Callable

import gevent.queue

from orchestrator import events as e

WAIT_S = 10.0  # generous: only reached when something is broken


class Sink:
    def __init__(self) -> None:
        self.events: list[e.Event] = []
        self._arrivals: gevent.queue.Queue = gevent.queue.Queue()

    def __call__(self, event: e.Event) -> None:
        self.events.append(event)
        self._arrivals.put(event)

    def wait_for(self, predicate: Callable[[e.Event], bool], timeout: float = WAIT_S) -> e.Event:
        """The next event (not seen by an earlier wait) that satisfies ``predicate``."""
        timer = gevent.Timeout(timeout)
        try:
            with timer:
                while True:
                    event = self._arrivals.get()
                    if predicate(event):
                        return event
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            # Listed now, not when the wait began: what did arrive is what tells a failure apart.
            raise AssertionError(f"no matching event within {timeout} s; got {self.events}") from None

    def wait_kind(self, kind: type[e.Event], channel_id: str | None = None,
                  timeout: float = WAIT_S) -> e.Event:
        return self.wait_for(lambda ev: isinstance(ev, kind) and (
            channel_id is None or getattr(ev, "channel_id", None) == channel_id), timeout)
