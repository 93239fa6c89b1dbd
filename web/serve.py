"""Serve the WSGI app (Werkzeug's threaded server is enough for one box's admin)."""

from __future__ import annotations

from werkzeug.serving import run_simple

from switchboard.config import Settings
from web.app import create_app


def serve(settings: Settings, host: str, port: int) -> None:
    run_simple(host, port, create_app(settings), threaded=True, use_reloader=False)
