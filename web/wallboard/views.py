"""The wallboard page and its JSON snapshot (polled every 2 s by the page)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope
from web.db import db
from web.wallboard.services import snapshot

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")


@bp.get("/")
@requires(Perm.WALLBOARD)
def index():
    return render_template("wallboard/index.html", initial=snapshot(db(), utcnow(), team_scope()))


@bp.get("/snapshot.json")
@requires(Perm.WALLBOARD)
def snapshot_json():
    return jsonify(snapshot(db(), utcnow(), team_scope()))
