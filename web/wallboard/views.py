"""The wallboard page, its live part and its JSON snapshot.

The page listens to ``/wallboard/events`` (``web.live``): each time the board's
topic changes, htmx fetches ``/wallboard/board`` and swaps it in.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, current_app, jsonify, render_template

from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope
from web.db import db
from web.live import stream
from web.live.changes import BOARD
from web.wallboard.services import snapshot

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")


def _snapshot() -> dict[str, object]:
    target = Decimal(current_app.config["SWITCHBOARD_SETTINGS"].sales_target_per_agent_day)
    return snapshot(db(), utcnow(), team_scope(), target)


@bp.get("/")
@requires(Perm.WALLBOARD)
def index():
    since = stream.hub().mark()  # before reading: a change while the page renders is caught up on
    return render_template("wallboard/index.html", s=_snapshot(), since=since)


@bp.get("/board")
@requires(Perm.WALLBOARD)
def board():
    """The live part; the wallboards of one scope told of one change share one reading."""
    scope = team_scope()
    key = ("board", None if scope is None else tuple(sorted(scope)))
    return stream.hub().shared(key, lambda: render_template("wallboard/_board.html", s=_snapshot()))


@bp.get("/events")
@requires(Perm.WALLBOARD)
def events():
    return stream.events([BOARD])


@bp.get("/snapshot.json")
@requires(Perm.WALLBOARD)
def snapshot_json():
    return jsonify(_snapshot())
