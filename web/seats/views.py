"""Pages for PBX nodes and seats; the live registration status is polled as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from provisioning import prompts
from store.enums import PbxKind
from store.models import PbxNode, Seat, Team, Trunk
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db, sealer
from web.http import get_or_404, int_or_none
from web.seats import services
from web.seats.services import BulkRequest, RemoteInput, SeatError

bp = Blueprint("seats", __name__, url_prefix="/admin")

#: What the sysadmin does next after switching a node's standby on or off.
STANDBY_SWITCHED = {
    True: "two runners from now on: its runner takes the node's lease within seconds; start the second "
    "`switchboard runner` for it (on another host if you like): it stands by",
    False: "one runner from now on: stop the standby runner, then restart the active one",
}


def conf_path(node: PbxNode) -> Path:
    """Where this node's seats file lives (``SEATS_CONF_PATH`` may contain ``{node}``)."""
    return Path(str(current_app.config["SEATS_CONF_PATH"]).format(node=node.name))


def gateways_dir(node: PbxNode) -> Path:
    """Where this FreeSWITCH node's gateways go (``FREESWITCH_GATEWAYS_DIR`` may contain ``{node}``)."""
    return Path(str(current_app.config["FREESWITCH_GATEWAYS_DIR"]).format(node=node.name))


@bp.get("/seats")
@requires(Perm.SEATS)
def index():
    session = db()
    nodes = session.scalars(select(PbxNode).order_by(PbxNode.name)).all()
    trunks = session.scalars(select(Trunk).options(selectinload(Trunk.nodes)).order_by(Trunk.name)).all()
    seats = session.scalars(
        select(Seat)
        .options(selectinload(Seat.team), selectinload(Seat.node), selectinload(Seat.trunk))
        .order_by(Seat.node_id, Seat.extension)
    ).all()
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    # The one page that shows seats' passwords (the admin gives them to the phones): opened here only.
    passwords = {s.id: sealer().open(s.secret) for s in seats}
    # Live states are asked for managed trunks only; a remote seat may dial through any of its node's.
    return render_template("seats/index.html", nodes=nodes, seats=seats, passwords=passwords, teams=teams,
                           kinds=list(PbxKind), trunks=[t for t in trunks if t.managed], all_trunks=trunks)


@bp.post("/nodes")
@requires(Perm.SEATS)
def create_node():
    session = db()
    f = request.form
    try:
        node = services.create_node(
            session,
            sealer(),
            f.get("name", ""),
            PbxKind(f.get("kind", "asterisk")),
            f.get("host", ""),
            int_or_none(f.get("port")) or 0,
            f.get("username", ""),
            f.get("secret", ""),
        )
    except (SeatError, ValueError) as exc:
        flash(str(exc), "error")
    else:
        audit.record(
            session, "node.create", "pbx_node", node.id, name=node.name, host=node.host, port=node.port
        )
        session.commit()
        flash(f"Node {node.name} added; its secret (set it on the PBX): {sealer().open(node.secret)}", "ok")
    return redirect(url_for("seats.index"))


@bp.post("/seats")
@requires(Perm.SEATS)
def create_seats():
    """One seat (first only) or a range; both go through the bulk path."""
    session = db()
    f = request.form
    node = get_or_404(PbxNode, int_or_none(f.get("node_id")))
    first = int_or_none(f.get("first"))
    last = int_or_none(f.get("last")) or first
    if first is None:
        flash("Give the first extension.", "error")
        return redirect(url_for("seats.index"))
    try:
        seats = services.bulk_create_seats(
            session,
            sealer(),
            node,
            BulkRequest(
                first, last if last is not None else first, int_or_none(f.get("teams")) or 0,
                f.get("team_prefix", "").strip() or "Team",
            ),
        )
    except SeatError as exc:
        flash(str(exc), "error")
        return redirect(url_for("seats.index"))
    audit.record(session, "seat.create", "pbx_node", node.id, first=first, last=last, count=len(seats))
    session.commit()
    flash(f"{len(seats)} seat(s) created on {node.name}; provision to apply.", "ok")
    return redirect(url_for("seats.index"))


def _remote_input() -> RemoteInput:
    """The remote seat's form; an unticked "press 1 to accept" box is absent from it (off)."""
    return RemoteInput(request.form.get("remote_number", ""), int_or_none(request.form.get("trunk_id")),
                       request.form.get("confirm_answer") == "on")


@bp.post("/seats/remote")
@requires(Perm.SEATS)
def create_remote_seat():
    """One remote seat: an outside number (an agent's mobile or home phone) reached through a trunk."""
    session = db()
    node = get_or_404(PbxNode, int_or_none(request.form.get("node_id")))
    extension = int_or_none(request.form.get("extension"))
    try:
        if extension is None:
            raise SeatError("give the seat's extension (it names the seat)")
        seat = services.remote_seat(session, sealer(), node, extension, _remote_input())
    except SeatError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("seats.index"))
    audit.record(session, "seat.create", "pbx_node", node.id, first=extension, last=extension, count=1,
                 remote_number=seat.remote_number, trunk=seat.trunk.name if seat.trunk else "",
                 confirm_answer=seat.confirm_answer)
    session.commit()
    flash(f"Remote seat {seat.extension} created on {node.name}: its agent's phone is {seat.remote_number}.",
          "ok")
    return redirect(url_for("seats.index"))


@bp.post("/seats/<int:seat_id>/remote")
@requires(Perm.SEATS)
def set_remote(seat_id: int):
    """Change a seat's outside number or trunk; an empty number makes it a SIP seat again."""
    session = db()
    seat = get_or_404(Seat, seat_id)
    try:
        services.set_remote(session, seat, _remote_input())
    except SeatError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("seats.index"))
    audit.record(session, "seat.remote", "seat", seat.id, extension=seat.extension,
                 remote_number=seat.remote_number, trunk=seat.trunk.name if seat.trunk else "",
                 confirm_answer=seat.confirm_answer)
    session.commit()
    what = f"reached at {seat.remote_number} through {seat.trunk.name}" if seat.trunk else "a SIP seat again"
    flash(f"Seat {seat.extension}: {what}; provision to apply (an agent logged in there keeps their leg "
          "until they log in again).", "ok")
    return redirect(url_for("seats.index"))


@bp.post("/seats/<int:seat_id>/enabled")
@requires(Perm.SEATS)
def set_enabled(seat_id: int):
    session = db()
    seat = get_or_404(Seat, seat_id)
    seat.enabled = request.form.get("enabled") == "1"
    audit.record(
        session, "seat.enable" if seat.enabled else "seat.disable", "seat", seat.id, extension=seat.extension
    )
    session.commit()
    flash(f"Seat {seat.extension} {'enabled' if seat.enabled else 'disabled'}; provision to apply.", "ok")
    return redirect(url_for("seats.index"))


@bp.post("/seats/<int:seat_id>/secret")
@requires(Perm.SEATS)
def new_secret(seat_id: int):
    session = db()
    seat = get_or_404(Seat, seat_id)
    seat.secret = sealer().seal(services.strong_secret())
    audit.record(session, "seat.new_secret", "seat", seat.id, extension=seat.extension)
    session.commit()
    flash(f"New secret for {seat.extension}; provision to apply.", "ok")
    return redirect(url_for("seats.index"))


def _provision(session: Session, node: PbxNode) -> bool:
    """Render and reload one node from what is committed; flashes the outcome, True when it worked."""
    try:
        transport = current_app.config["SEATS_PJSIP_TRANSPORT"]
        changed = services.provision(session, sealer(), node, conf_path(node), transport,
                                     current_app.config["DIALPLAN_PARAMS"], gateways_dir(node))
    except (SeatError, OSError, TimeoutError, ConnectionError) as exc:
        flash(f"Provisioning {node.name} failed: {exc}", "error")
        return False
    audit.record(session, "node.provision", "pbx_node", node.id, changed=changed)
    session.commit()
    done = f"reloaded {', '.join(changed)}" if changed else "already up to date"
    flash(f"{node.name}: {done}.", "ok")
    return True


def reprovision(session: Session, nodes: Iterable[PbxNode]) -> None:
    """After a committed change (a trunk saved): each node rendered and reloaded, live."""
    for node in nodes:
        _provision(session, node)


def publish_prompts(session: Session) -> None:
    """After a committed change of a prompt no dialplan names (a survey's: the runner passes its name
    on the call): the prompt files on every node, nothing reloaded (the PBX reads the file when it plays
    it). A node whose directory cannot be written is flashed; its next provisioning writes them."""
    for node in session.scalars(select(PbxNode).order_by(PbxNode.name)):
        if node.kind is PbxKind.FREESWITCH:
            directory = gateways_dir(node).parent / prompts.FREESWITCH_PROMPTS
        else:
            directory = conf_path(node).parent / prompts.ASTERISK_PROMPTS
        try:
            prompts.write_prompts(session, directory)
        except OSError as exc:
            flash(f"{node.name}: the prompts could not be written ({exc}); provision the node to retry.",
                  "error")


@bp.post("/nodes/<int:node_id>/provision")
@requires(Perm.SEATS)
def provision(node_id: int):
    _provision(db(), get_or_404(PbxNode, node_id))
    return redirect(url_for("seats.index"))


@bp.post("/nodes/<int:node_id>/standby")
@requires(Perm.SEATS)
def standby(node_id: int):
    """One runner for the node, or two sharing its lease (start the second one on the PBX's host)."""
    session = db()
    node = get_or_404(PbxNode, node_id)
    wanted = request.form.get("standby") == "on"
    try:
        services.set_standby(session, node, wanted)
    except SeatError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        audit.record(session, "node.standby", "pbx_node", node.id, name=node.name, standby=wanted)
        session.commit()
        flash(f"Node {node.name}: {STANDBY_SWITCHED[wanted]}", "ok")
    return redirect(url_for("seats.index"))


@bp.get("/nodes/<int:node_id>/registrations.json")
@requires(Perm.SEATS)
def registrations(node_id: int):
    node = get_or_404(PbxNode, node_id)
    contacts = services.registrations(node, sealer())
    names = db().scalars(select(Trunk.name).where(Trunk.managed, Trunk.nodes.any(PbxNode.id == node.id)))
    # Not asked when the node did not answer: no second timeout.
    trunks = services.trunk_states(node, sealer(), names) if contacts is not None else None
    return jsonify(reachable=contacts is not None, contacts=contacts or {}, trunks=trunks or {})
