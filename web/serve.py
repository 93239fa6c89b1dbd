"""Serve the WSGI app with waitress: a production server (threads, no reloader, no debugger).

Werkzeug's development server is not meant for production; waitress is pure
Python (nothing to compile), runs the same on the demo box and under systemd
or a container, and needs no worker processes. SIGTERM ends the process at
once; the process manager (``switchboard run``, systemd, the container
runtime) starts it again, and the live pages' event streams reconnect.

Live pages (``web.live``) keep one server-sent-event stream open each, and
waitress gives every open response a thread of its pool for its lifetime: the
pool is the short requests' threads plus one per stream the process accepts
(``web.live.stream.MAX_STREAMS``; past that a stream gets 503 and the browser
retries), so streams never starve the pages. A waiting stream costs a blocked
thread and nothing else: ``bench.web`` measured 60 streams on 2 cores (the
figures are in docs/DESIGN-NOTES.md). Not gevent: the database calls would
have to be made cooperative by monkey-patching the whole process before
psycopg is imported, for a gain these numbers do not need.
"""

from __future__ import annotations

import gc

from waitress import serve as waitress_serve

from settings import Settings
from web.app import create_app
from web.live.stream import MAX_STREAMS

REQUEST_THREADS = 16  # concurrent short requests: the parts 60 live pages fetch, the admin's pages
THREADS = REQUEST_THREADS + MAX_STREAMS
#: Open connections waitress keeps (its default is 100). Kannel's smsbox posts delivery reports over
#: many keep-alive connections and leaves them open idle: at 100 waitress stopped accepting, and the
#: reports queued behind (tens in a 200/s broadcast) waited for idle ones to time out, then were
#: dropped when smsbox's retries ran out. Well under select()'s 1024 descriptors.
CONNECTION_LIMIT = 800
#: An idle connection is closed after this (waitress: 120 s), so idle keep-alives free their place soon.
CHANNEL_TIMEOUT_S = 30


def freeze_startup_objects() -> None:
    """Put everything loaded so far (modules, the models' metadata, the app), which lives as long as
    the process, out of the garbage collector's sight, so a full collection walks only what requests
    made since.

    Each full collection stops every thread (the GIL). With the startup objects in it, bench.web
    measured 90-146 ms per collection: in the server every ~12 s (the live pages' pushes caught in
    one took up to 317 ms), and one every ~8 complaint lists of 500 rows (the list's p95 133-142 ms
    for a p50 of 35 ms). Frozen: 8-25 ms, the list's p95 48-53 ms."""
    gc.collect()
    gc.freeze()


def serve(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings)
    freeze_startup_objects()
    waitress_serve(app, host=host, port=port, threads=THREADS, ident="switchboard",
                   connection_limit=CONNECTION_LIMIT, channel_timeout=CHANNEL_TIMEOUT_S)
