"""Fax pages: send (upload and number), the outbox with each fax's status, the inbox (the received PDF shown
in the browser, assigned to a person, notes)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from store.enums import FaxInStatus
from store.models import FaxIn, FaxOut, User
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db
from web.fax import services
from web.http import get_or_404, int_or_none

bp = Blueprint("fax", __name__, url_prefix="/fax")
PAGE = 100  # faxes listed


def _outbox_page(status: int = 200):
    faxes = db().scalars(select(FaxOut).order_by(FaxOut.id.desc()).limit(PAGE)).all()
    return render_template("fax/outbox.html", faxes=faxes, form=request.form,
                           max_mb=services.MAX_DOCUMENT_BYTES // (1024 * 1024)), status


@bp.get("/")
@requires(Perm.FAX)
def outbox():
    return _outbox_page()


@bp.post("/")
@requires(Perm.FAX)
def send():
    session = db()
    file = request.files.get("document")
    upload = services.Upload(file.filename or "", file.read()) if file is not None and file.filename else None
    try:
        fax = services.new_fax(upload, request.form.get("destination", ""), current_user.id)
    except services.FaxError as exc:
        flash(str(exc), "error")
        return _outbox_page(400)
    session.add(fax)
    session.flush()
    audit.record(session, "fax.send", "fax_out", fax.id, destination=fax.destination)
    session.commit()
    flash(f"Fax {fax.id} to {fax.destination} queued.", "ok")
    return redirect(url_for("fax.outbox"))


@bp.get("/inbox")
@requires(Perm.FAX)
def inbox():
    session = db()
    faxes = session.scalars(select(FaxIn).where(FaxIn.status != FaxInStatus.BUSY)
                            .order_by(FaxIn.received_at.desc()).limit(PAGE)).all()
    busy = session.scalar(select(func.count()).select_from(FaxIn).where(FaxIn.status == FaxInStatus.BUSY))
    return render_template("fax/inbox.html", faxes=faxes, busy=busy, users=_users())


def _users() -> dict[int, User]:
    return {u.id: u for u in db().scalars(select(User).where(User.active).order_by(User.username))}


@bp.get("/inbox/<int:fax_id>.pdf")
@requires(Perm.FAX)
def pdf(fax_id: int):
    fax = get_or_404(FaxIn, fax_id)
    if fax.pdf is None:
        abort(404)
    return Response(fax.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="fax-{fax.id}.pdf"'})


@bp.post("/inbox/<int:fax_id>")
@requires(Perm.FAX)
def update(fax_id: int):
    session = db()
    fax = get_or_404(FaxIn, fax_id)
    assignee = int_or_none(request.form.get("assigned_to"))
    if assignee is not None and assignee not in _users():
        abort(400, "assigned to: no such active user")
    notes = request.form.get("notes", "")
    if len(notes) > 10_000:
        abort(400, "notes: at most 10 000 characters")
    fax.assigned_to, fax.notes = assignee, notes
    audit.record(session, "fax.update", "fax_in", fax.id, assigned_to=assignee)
    session.commit()
    flash(f"Fax {fax.id} saved.", "ok")
    return redirect(url_for("fax.inbox"))
