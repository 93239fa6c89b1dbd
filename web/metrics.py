"""Prometheus ``/metrics``: request latency per endpoint, plus live call-centre gauges.

Each app gets its own registry (several apps in one test process must not
collide in the global one). The gauges are read from the database at scrape
time, so they are as fresh as the wallboard and cost nothing between scrapes.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select

from store.models import Agent, Attempt, Campaign
from web.auth.roles import Perm, can
from web.db import db

bp = Blueprint("metrics", __name__)


def instrument(app: Flask) -> None:
    registry = CollectorRegistry()
    app.extensions["sb_metrics"] = {
        "registry": registry,
        "latency": Histogram(
            "switchboard_web_request_seconds",
            "Web request latency",
            ["endpoint", "method"],
            registry=registry,
        ),
        "responses": Counter(
            "switchboard_web_responses_total", "Web responses", ["endpoint", "status"], registry=registry
        ),
        "agents": Gauge("switchboard_agents", "Agents by state", ["state"], registry=registry),
        "campaigns": Gauge(
            "switchboard_campaigns", "Campaigns by desired state", ["state"], registry=registry
        ),
        "in_flight": Gauge("switchboard_attempts_in_flight", "Attempts not ended yet", registry=registry),
        "throttled": Counter(
            "switchboard_throttled",
            "Requests refused by a failed-credential throttle (what: login/fsxml; scope: account/address)",
            ["what", "scope"],
            registry=registry,
        ),
    }

    @app.before_request
    def _start() -> None:
        g.metrics_t0 = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        t0 = g.pop("metrics_t0", None)
        endpoint = request.endpoint or "unknown"
        m = app.extensions["sb_metrics"]
        if t0 is not None:
            m["latency"].labels(endpoint, request.method).observe(time.perf_counter() - t0)
        m["responses"].labels(endpoint, str(response.status_code)).inc()
        return response


def _allowed() -> bool:
    """The ``metrics_token`` as a Prometheus bearer token when set; otherwise a signed-in sysadmin.

    The gauges tell an outsider how many agents work and the failure counters when an attack
    is being noticed; neither is for the open internet.
    """
    token = current_app.config["SWITCHBOARD_SETTINGS"].metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        return sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode())
    return can(Perm.SEATS)


@bp.get("/metrics")
def scrape() -> Response:
    if not _allowed():
        return Response("metrics need the bearer token or a sysadmin's log-in\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="switchboard-metrics"'})
    m = current_app.extensions["sb_metrics"]
    session = db()
    m["agents"].clear()
    for state, count in session.execute(select(Agent.state, func.count()).group_by(Agent.state)):
        m["agents"].labels(state.value).set(count)
    m["campaigns"].clear()
    for state, count in session.execute(
        select(Campaign.desired_state, func.count()).group_by(Campaign.desired_state)
    ):
        m["campaigns"].labels(state.value).set(count)
    m["in_flight"].set(session.scalar(select(func.count()).where(Attempt.ended_at.is_(None))) or 0)
    return Response(generate_latest(m["registry"]), mimetype=CONTENT_TYPE_LATEST)
