"""The estimated wait a queued caller hears after their position ("about 3 minutes").

How: a caller at position *K* is answered when *K* calls ahead of them have ended on the agents
serving the queue. With *N* such agents each busy for the queue's average handle time *H* (the
recent answered calls' talk time plus the wrap-up after each), calls end at *N / H* per second on
average, so the wait is about ``K * H / N`` seconds, rounded **up** to whole minutes (a caller told
"2 minutes" who waits 2½ feels misled; one told 3 who waits 2½ does not). This is the estimate
Asterisk's own ``app_queue`` announces (its average hold time scaled by position and agents), kept
simple on purpose: an exact figure would need each agent's time left on their call, which nobody
knows.

No basis, no estimate (``None``: the PBX says nothing after the position): no answered call yet to
average, or no agent serving the queue (none logged in, or all paused: the caller waits for an
unknown time). Agents serving it: its hotline seats and designated overflow agents logged in and
not paused (an overflow agent on an outbound call serves the queue too: the queue takes them next).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator

#: How many recent answered calls the average handle time is taken over.
RECENT_CALLS = 20
#: The largest estimate said (the announcement's number prompts say up to 999).
MAX_MINUTES = 999


def estimated_wait_min(position: int, handle_times_s: Iterable[float], agents: int) -> int | None:
    """Minutes a caller at ``position`` (1: next) may wait, rounded up; None without a basis."""
    times = [t for t in handle_times_s if t > 0]
    if position < 1 or agents < 1 or not times:
        return None
    average = sum(times) / len(times)
    return min(MAX_MINUTES, max(1, math.ceil(position * average / agents / 60)))


class HandleTimes:
    """The last :data:`RECENT_CALLS` answered calls' handle times (seconds), newest last."""

    def __init__(self, seed: Iterable[float] = ()) -> None:
        self._times: deque[float] = deque((t for t in seed if t > 0), maxlen=RECENT_CALLS)

    def add(self, seconds: float) -> None:
        if seconds > 0:
            self._times.append(seconds)

    def __iter__(self) -> Iterator[float]:
        return iter(self._times)

    def __len__(self) -> int:
        return len(self._times)
