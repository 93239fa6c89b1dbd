"""Liveness and readiness probes for operators, process managers and load balancers.

``/healthz`` says only that the web process answers (restart it when it does
not). ``/readyz`` also asks the database (``SELECT 1``): while it cannot be
reached the web process is alive but useless, so a load balancer should send
requests elsewhere and nobody should restart it. The reason names the error
class and the driver's first line, never the URL or SQL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from orchestrator.store.outage import describe

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        with current_app.extensions["sb_engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=f"database: {describe(exc)}"), 503
    return jsonify(status="ready", database="ok")

