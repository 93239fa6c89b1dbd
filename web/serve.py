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


def serve(settings: Settings, host: str, port: int) -> None:
    waitress_serve(create_app(settings), host=host, port=port, threads=THREADS, ident="switchboard")
