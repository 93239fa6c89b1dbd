"""Server-sent events: a live page hears ``changed`` when what it shows moved, and refetches its parts.

The event carries no HTML: the page's htmx parts (``hx-trigger="sse:changed"``)
ask for themselves again through the ordinary views, with what they show now
(the agent panel's keys), so a part the agent types into is replaced only when
its subject changed, exactly as a reload would decide it. A stream sends
``changed`` once on connecting if anything moved since the page was rendered
(its ``since`` mark), which also covers a reconnect after a network blip.

Each stream holds one server thread while it is open (waitress is a threaded
server: ``web.serve`` sizes its pool for them, and ``MAX_STREAMS`` refuses the
stream past that with 503, so pages never starve). It ends after
``LIFETIME_S``: the browser reconnects at once, and the login is checked again.
A comment every ``KEEPALIVE_S`` keeps the connection from being closed as idle
and ends the stream of a browser that went away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from flask import Flask, Response, current_app, request, stream_with_context

from web.db import release, sessions_of
from web.live.hub import Hub

KEEPALIVE_S = 15.0
LIFETIME_S = 300.0
#: Streams one process serves at once (each holds a thread: see ``web.serve.THREADS``).
MAX_STREAMS = 120
#: How soon the browser reconnects after a stream ends (``retry:``, ms).
RETRY_MS = 1000


class _Count:
    """Streams open in this process (checked before a stream starts, counted while it runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


_open = _Count()


def init_app(app: Flask) -> None:
    app.extensions["sb_live"] = Hub(sessions_of(app))
    app.add_template_filter(clock)


def clock(seconds: int) -> str:
    """Time in a state as the pages show it (``static/live.js`` counts on from there: ``m:ss``,
    ``h:mm:ss`` past an hour)."""
    h, rest = divmod(max(0, int(seconds)), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def hub() -> Hub:
    return current_app.extensions["sb_live"]


def events(topics: Sequence[str], min_gap_s: float = 0.0) -> Response:
    """The response of a page's stream; ``min_gap_s`` spaces the events of a heavy page (its
    parts cost a few queries over the whole lead table: the campaign page)."""
    if _open.value >= MAX_STREAMS:
        return Response(
            "too many live pages open: retry later\n", 503, {"Retry-After": "5"}, mimetype="text/plain"
        )
    release()  # the user is loaded; a stream must not hold a pooled connection for minutes
    live, since = hub(), request.args.get("since", "")

    def generate() -> Iterator[str]:
        _open.add(1)
        try:
            with live.listen():
                seq = live.seq
                yield f"retry: {RETRY_MS}\n\n"
                if live.changed_since(since, topics):
                    yield "event: changed\ndata: catch-up\n\n"
                ends = time.monotonic() + LIFETIME_S
                last_sent = time.monotonic()
                while (left := ends - time.monotonic()) > 0:
                    moved = live.wait(topics, seq, min(KEEPALIVE_S, left))
                    if moved is None:
                        yield ": keep-alive\n\n"
                        continue
                    gap = min_gap_s - (time.monotonic() - last_sent)
                    if gap > 0:  # later changes are caught by the next wait: seq is read after the pause
                        time.sleep(gap)
                    seq = live.seq
                    last_sent = time.monotonic()
                    yield f"event: changed\ndata: {seq}\n\n"
        finally:
            _open.add(-1)

    return Response(
        stream_with_context(generate()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
