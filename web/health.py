"""Liveness and readiness probes for operators, process managers and load balancers.

``/healthz`` says only that the web process answers (restart it when it does
not). ``/readyz`` also asks the database (``SELECT 1``): while it cannot be
reached the web process is alive but useless, so a load balancer should send
requests elsewhere and nobody should restart it. The reason names the error
class and the driver's first line, never the URL or SQL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from store.outage import describe

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    engine = current_app.extensions["sb_engine"]
    try:
        _ping(engine)
    except SQLAlchemyError:
        # A pooled connection an outage cut answers with whatever its driver makes of a dead socket
        # (psycopg: "can't change 'autocommit' now"); the question is whether the database can be
        # reached now, so drop the pool and ask once more on a fresh connection.
        engine.dispose()
        try:
            _ping(engine)
        except SQLAlchemyError as exc:
            return jsonify(status="unavailable", reason=f"database: {describe(exc)}"), 503
    return jsonify(status="ready", database="ok")


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

