"""Trunk pages: list, create, edit, delete. A save commits, then re-provisions the trunk's nodes live."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from provisioning.trunks import CODECS, DEFAULT_CODECS, T38_DATAGRAM, TrunkError
from store.enums import SipTransport, T38Mode, TrunkAuth
from store.models import PbxNode, Trunk
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db, sealer
from web.http import get_or_404
from web.seats.views import reprovision
from web.trunks import services
from web.trunks.services import TrunkInput

bp = Blueprint("trunks", __name__, url_prefix="/admin/trunks")
#: The T.38 choices as the form words them.
T38_LABELS = {T38Mode.OFF: "off: G.711 only", T38Mode.REDUNDANCY: "on, redundancy", T38Mode.FEC: "on, FEC",
              T38Mode.NONE: "on, no error correction"}


def _whole(form: MultiDict[str, str], name: str, what: str, default: int) -> int:
    raw = form.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise TrunkError(f"{what}: not a whole number") from None


def _input(form: MultiDict[str, str]) -> TrunkInput:
    node_ids = [int(v) for v in form.getlist("node_ids") if v.isdigit()]
    return TrunkInput(
        name=form.get("name", ""), host=form.get("host", ""), port=_whole(form, "port", "port", 5060),
        transport=form.get("transport", "udp"), auth=form.get("auth", "ip"),
        username=form.get("username", ""),
        secret=form.get("secret", ""), allowed_addresses=form.get("allowed_addresses", ""),
        codecs=form.getlist("codecs"), channel_limit=_whole(form, "channel_limit", "channel limit", 0),
        caller_id=form.get("caller_id", ""), strip_prefix=form.get("strip_prefix", ""),
        add_prefix=form.get("add_prefix", ""), dids=form.get("dids", ""), node_ids=node_ids,
        enabled=form.get("enabled") == "on", t38=form.get("t38", T38Mode.REDUNDANCY.value),
        t38_max_datagram=_whole(form, "t38_max_datagram", "T.38 datagram size", 400),
    )


def _page(trunk: Trunk | None, status: int = 200):
    session = db()
    trunks = session.scalars(select(Trunk).options(selectinload(Trunk.nodes)).order_by(Trunk.name)).all()
    return render_template(
        "trunks/index.html", trunks=trunks, t=trunk, form=request.form if request.method == "POST" else None,
        nodes=session.scalars(select(PbxNode).order_by(PbxNode.name)).all(), codecs=list(CODECS),
        default_codecs=DEFAULT_CODECS, transports=list(SipTransport), auths=list(TrunkAuth),
        t38_modes=T38_LABELS, t38_datagram=T38_DATAGRAM,
    ), status


@bp.get("")
@requires(Perm.SEATS)
def index():
    return _page(None)


@bp.get("/<int:trunk_id>")
@requires(Perm.SEATS)
def edit(trunk_id: int):
    return _page(get_or_404(Trunk, trunk_id))


@bp.post("")
@requires(Perm.SEATS)
def create():
    return _save(None)


@bp.post("/<int:trunk_id>")
@requires(Perm.SEATS)
def update(trunk_id: int):
    return _save(get_or_404(Trunk, trunk_id))


def _save(row: Trunk | None):
    session = db()
    try:
        trunk, nodes = services.save(session, sealer(), _input(request.form), row)
    except TrunkError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _page(row, 400)
    audit.record(session, "trunk.update" if row else "trunk.create", "trunk", trunk.id, name=trunk.name,
                 host=trunk.host, nodes=[n.name for n in nodes])
    session.commit()
    flash(f"Trunk {trunk.name} saved.", "ok")
    reprovision(session, nodes)
    return redirect(url_for("trunks.index"))


@bp.post("/<int:trunk_id>/delete")
@requires(Perm.SEATS)
def delete(trunk_id: int):
    session = db()
    row = get_or_404(Trunk, trunk_id)
    name = row.name
    try:
        nodes = services.delete(session, row)
    except TrunkError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("trunks.index"))
    audit.record(session, "trunk.delete", "trunk", trunk_id, name=name)
    session.commit()
    flash(f"Trunk {name} deleted.", "ok")
    reprovision(session, nodes)
    return redirect(url_for("trunks.index"))
