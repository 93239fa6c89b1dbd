"""Lists page, upload -> column mapping -> import with progress -> error report; DNC page."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from store.enums import PurchaseState
from store.models import Campaign, DncEntry, Lead, LeadList, Purchase
from web.auth import audit
from web.auth.roles import Perm, requires, team_scope
from web.campaigns.services import visible_campaigns
from web.db import db, sessions
from web.http import get_or_404, int_or_none
from web.leads import importer, services
from web.leads.jobs import JobMeta, Jobs

bp = Blueprint("leads", __name__)
IGNORE, FIELD = "", "field"


def jobs() -> Jobs:
    app = current_app
    if "sb_import_jobs" not in app.extensions:
        root = Path(app.config["SWITCHBOARD_SETTINGS"].instance_dir) / "imports"
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        app.extensions["sb_import_jobs"] = Jobs(root)
    return app.extensions["sb_import_jobs"]


@bp.get("/lists")
@requires(Perm.LISTS)
def lists():
    """Every list for the data managers (who change them); a team leader's own teams' lists, to read."""
    session = db()
    scope = team_scope()
    shown = services.visible_lists(session, scope)
    counts = dict(session.execute(select(Lead.list_id, func.count())
                                  .where(Lead.list_id.in_([lead_list.id for lead_list in shown]))
                                  .group_by(Lead.list_id)).tuples().all())
    received = session.scalars(select(Purchase).where(Purchase.state == PurchaseState.RECEIVED)
                               .order_by(Purchase.id.desc())).all()
    return render_template("leads/lists.html", lists=shown, campaigns=visible_campaigns(session, scope),
                           counts=counts, purchases=received)


@bp.post("/lists/upload")
@requires(Perm.LEADS)
def upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV or XLSX file.", "error")
        return redirect(url_for("leads.lists"))
    list_id = int_or_none(request.form.get("list_id"))
    campaign_id = int_or_none(request.form.get("campaign_id"))
    purchase_id = int_or_none(request.form.get("purchase_id"))
    if purchase_id is not None:
        batch = db().get(Purchase, purchase_id)
        if batch is None or batch.state is not PurchaseState.RECEIVED:
            flash("Records are added to a purchase only before its sample test (choose a received batch).",
                  "error")
            return redirect(url_for("leads.lists"))
        list_id, campaign_id = None, None  # a batch's records wait, in a list of their own, for the test
    name = request.form.get("list_name", "").strip() or Path(upload.filename).stem
    meta = JobMeta(
        filename=upload.filename,
        list_name=name[:128],
        list_id=list_id,
        region=(request.form.get("region") or "US").upper()[:2],
        campaign_id=campaign_id,
        purchase_id=purchase_id,
    )
    token = jobs().new(meta, upload.read())
    return redirect(url_for("leads.mapping", token=token))


def _job_dir(token: str) -> Path:
    try:
        return jobs().dir(token)
    except KeyError:
        abort(404)


@bp.route("/lists/import/<token>/mapping", methods=["GET", "POST"])
@requires(Perm.LEADS)
def mapping(token: str):
    path = _job_dir(token)
    meta = jobs().meta(token)
    try:
        header, rows = importer.read_table(path / "source", meta.filename)
        # ``rows`` yields (line number, cells): the preview shows the cells, one per column.
        preview = [cells for _, (_, cells) in zip(range(5), rows, strict=False)]
    except importer.FileError as exc:
        flash(f"Cannot read {meta.filename}: {exc}", "error")
        return redirect(url_for("leads.lists"))
    if request.method == "POST" and jobs().started(token):
        return redirect(url_for("leads.progress", token=token))  # a repeated POST imports nothing more
    if request.method == "POST":
        chosen = importer.Mapping(phone=-1)
        for i, name in enumerate(header):
            target = request.form.get(f"col{i}", IGNORE)
            if target in importer.TARGETS:
                setattr(chosen, target, i)
            elif target == FIELD:
                chosen.fields[name or f"column{i + 1}"] = i
        if chosen.phone < 0:
            flash("Map one column to the phone number.", "error")
        else:
            meta.mapping = {
                "phone": chosen.phone,
                "external_ref": chosen.external_ref,
                "timezone": chosen.timezone,
                "fields": chosen.fields,
            }
            jobs().save_meta(token, meta)
            jobs().start(token, sessions())
            return redirect(url_for("leads.progress", token=token))
    try:
        guess = importer.guess_mapping(header)
    except importer.FileError:
        guess = importer.Mapping(phone=-1, fields={h: i for i, h in enumerate(header)})
    targets = {guess.phone: "phone", guess.external_ref: "external_ref", guess.timezone: "timezone"}
    targets.update({i: FIELD for i in guess.fields.values()})
    return render_template("leads/mapping.html", header=header, preview=preview, targets=targets, meta=meta)


@bp.get("/lists/import/<token>")
@requires(Perm.LEADS)
def progress(token: str):
    _job_dir(token)
    return render_template("leads/progress.html", token=token, meta=jobs().meta(token))


@bp.get("/lists/import/<token>.json")
@requires(Perm.LEADS)
def progress_json(token: str):
    _job_dir(token)
    return jsonify(jobs().status(token).__dict__)


@bp.get("/lists/import/<token>/errors.csv")
@requires(Perm.LEADS)
def error_report(token: str):
    report = _job_dir(token) / "errors.csv"
    if not report.exists():
        abort(404)
    return Response(
        report.read_bytes(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=import-errors-{token[:8]}.csv"},
    )


@bp.post("/lists/<int:list_id>/active")
@requires(Perm.LEADS)
def set_list_active(list_id: int):
    session = db()
    lead_list = get_or_404(LeadList, list_id)
    batch = session.get(Purchase, lead_list.purchase_id) if lead_list.purchase_id else None
    if lead_list.destroyed_at or (batch and batch.state in (PurchaseState.REJECTED, PurchaseState.DESTROYED)):
        flash("A destroyed list, or one of a rejected batch, is never dialed again.", "error")
        return redirect(url_for("leads.lists"))
    lead_list.active = request.form.get("active") == "1"
    audit.record(session, "list.activate" if lead_list.active else "list.deactivate", "lead_list", list_id)
    session.commit()
    return redirect(url_for("leads.lists"))


@bp.route("/dnc", methods=["GET", "POST"])
@requires(Perm.LEADS)
def dnc():
    session = db()
    if request.method == "POST":
        try:
            entry = services.add_dnc(
                session,
                request.form.get("phone", ""),
                (request.form.get("region") or "US").upper()[:2],
                int_or_none(request.form.get("campaign_id")),
                request.form.get("reason", ""),
                current_user.id,
            )
        except services.DncError as exc:
            flash(str(exc), "error")
        else:
            audit.record(session, "dnc.add", "dnc", entry.phone, campaign_id=entry.campaign_id)
            session.commit()
            flash(f"{entry.phone} added to the DNC list.", "ok")
        return redirect(url_for("leads.dnc"))
    query = select(DncEntry).order_by(DncEntry.id.desc()).limit(200)
    search = request.args.get("q", "").strip()
    if search:
        query = query.where(DncEntry.phone.contains(search))
    return render_template(
        "leads/dnc.html",
        entries=session.scalars(query).all(),
        search=search,
        campaigns=session.scalars(select(Campaign).order_by(Campaign.name)).all(),
    )


@bp.post("/dnc/upload")
@requires(Perm.LEADS)
def dnc_upload():
    """A file of numbers (CSV/XLSX, phone column guessed) added to a DNC list by a background job."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV or XLSX file.", "error")
        return redirect(url_for("leads.dnc"))
    meta = JobMeta(
        filename=upload.filename,
        list_name="",
        list_id=None,
        region=(request.form.get("region") or "US").upper()[:2],
        campaign_id=int_or_none(request.form.get("campaign_id")),
        kind="dnc",
        reason=request.form.get("reason", "")[:255],
        user_id=current_user.id,
    )
    token = jobs().new(meta, upload.read())
    session = db()
    audit.record(session, "dnc.upload", "dnc", "", file=upload.filename, job=token)
    session.commit()
    jobs().start(token, sessions())
    return redirect(url_for("leads.progress", token=token))


@bp.post("/dnc/<int:entry_id>/delete")
@requires(Perm.LEADS)
def dnc_delete(entry_id: int):
    session = db()
    phone = services.remove_dnc(session, entry_id)
    if phone:
        audit.record(session, "dnc.remove", "dnc", phone)
    session.commit()
    return redirect(url_for("leads.dnc"))
