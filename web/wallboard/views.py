"""The wallboard page and its JSON snapshot (polled every 2 s by the page)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, current_app, jsonify, render_template

from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope
from web.db import db
from web.wallboard.services import snapshot

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")


def _snapshot() -> dict[str, object]:
    target = Decimal(current_app.config["SWITCHBOARD_SETTINGS"].sales_target_per_agent_day)
    return snapshot(db(), utcnow(), team_scope(), target)


@bp.get("/")
@requires(Perm.WALLBOARD)
def index():
    return render_template("wallboard/index.html", initial=_snapshot())


@bp.get("/snapshot.json")
@requires(Perm.WALLBOARD)
def snapshot_json():
    return jsonify(_snapshot())
