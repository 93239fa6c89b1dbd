"""Serve the WSGI app with waitress: a production server (threads, no reloader, no debugger).

Werkzeug's development server is not meant for production; waitress is pure
Python (nothing to compile), runs the same on the demo box and under systemd
or a container, and needs no worker processes: the admin's requests are short
and the agent panel polls. SIGTERM ends the process at once; requests are
short, and the process manager (``switchboard run``, systemd, the container
runtime) starts it again.
"""

from __future__ import annotations

from waitress import serve as waitress_serve

from settings import Settings
from web.app import create_app

THREADS = 16  # concurrent requests: 50 agent panels polling plus the admin's pages
#: Open connections waitress keeps (its default is 100). Kannel's smsbox posts delivery reports over
#: many keep-alive connections and leaves them open idle: at 100 waitress stopped accepting, and the
#: reports queued behind (tens in a 200/s broadcast) waited for idle ones to time out, then were
#: dropped when smsbox's retries ran out. Well under select()'s 1024 descriptors.
CONNECTION_LIMIT = 800
#: An idle connection is closed after this (waitress: 120 s), so idle keep-alives free their place soon.
CHANNEL_TIMEOUT_S = 30


def serve(settings: Settings, host: str, port: int) -> None:
    waitress_serve(create_app(settings), host=host, port=port, threads=THREADS, ident="switchboard",
                   connection_limit=CONNECTION_LIMIT, channel_timeout=CHANNEL_TIMEOUT_S)
