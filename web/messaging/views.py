"""SMS broadcast pages: list with counts, a create form, one broadcast's detail (pause, resume)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from orchestrator.messaging import text as sms_text
from provisioning.kannel import MAX_PARTS
from store import messaging as store
from store.enums import ComplianceProfile, SmsBroadcastState, SmsStatus
from store.models import Campaign, LeadList, SmsBroadcast, SmsMessage
from web.auth import audit
from web.auth.roles import Perm, requires
from web.campaigns.forms import FormError
from web.db import db
from web.http import get_or_404

bp = Blueprint("sms", __name__, url_prefix="/sms")
MAX_RATE_PER_S = 1000.0
PAGE = 200  # messages shown on the detail page


def _text(form: MultiDict[str, str]) -> tuple[str, str]:
    """(name, template), checked: merge fields readable, not longer than Kannel will send."""
    name, template = form.get("name", "").strip(), form.get("template", "").strip()
    if not name or len(name) > 128:
        raise FormError("name: required, at most 128 characters")
    if not template:
        raise FormError("template: required")
    try:
        sms_text.check(template, MAX_PARTS)
    except sms_text.TemplateError as exc:
        raise FormError(f"template: {exc}") from None
    return name, template


def _target(form: MultiDict[str, str]) -> tuple[int | None, int | None]:
    """(list id, campaign id): exactly one of them, and it exists."""
    kind, _, raw = form.get("target", "").partition(":")
    model = {"list": LeadList, "campaign": Campaign}.get(kind)
    if model is None or not raw.isdigit() or len(raw) > 9:
        raise FormError("target: choose a list or a campaign")
    if db().get(model, int(raw)) is None:
        raise FormError(f"target: no such {kind}")
    return (int(raw), None) if kind == "list" else (None, int(raw))


def _when(form: MultiDict[str, str]) -> tuple[str, datetime]:
    """(time zone, start in UTC)."""
    zone = form.get("timezone", "UTC").strip() or "UTC"
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError(f"time zone: unknown zone {zone[:64]!r}") from None
    raw = form.get("start_at", "").strip()
    try:
        start = datetime.fromisoformat(raw).replace(tzinfo=tz).astimezone(UTC) if raw else datetime.now(UTC)
    except ValueError:
        raise FormError("start: a date and time like 2026-12-24T09:00") from None
    return zone, start


def _spec(form: MultiDict[str, str]) -> store.BroadcastSpec:
    """The form as a broadcast, or a FormError saying what to fix."""
    name, template = _text(form)
    list_id, campaign_id = _target(form)
    try:
        rate = float(form.get("rate_per_s", ""))
    except ValueError:
        raise FormError("rate: a number of messages per second") from None
    if not (math.isfinite(rate) and 0 < rate <= MAX_RATE_PER_S):
        raise FormError(f"rate: between 0 and {MAX_RATE_PER_S:.0f} messages per second")
    try:
        profile = ComplianceProfile(form.get("compliance_profile", "").lower())
    except ValueError:
        raise FormError("compliance profile: choose one") from None
    zone, start = _when(form)
    state = SmsBroadcastState.PAUSED if form.get("draft") else SmsBroadcastState.SCHEDULED
    return store.BroadcastSpec(name, template, list_id, campaign_id, form.get("segment", "").strip()[:255],
                               profile, zone, rate, start, state)


def _form_page(status: int = 200):
    session = db()
    return render_template(
        "sms/form.html", form=request.form,
        lists=session.scalars(select(LeadList).where(~LeadList.importing).order_by(LeadList.name)).all(),
        campaigns=session.scalars(select(Campaign).order_by(Campaign.name)).all(),
        profiles=list(ComplianceProfile), max_parts=MAX_PARTS), status


@bp.get("/")
@requires(Perm.CAMPAIGNS)
def index():
    session = db()
    broadcasts = session.scalars(select(SmsBroadcast).order_by(SmsBroadcast.id.desc())).all()
    return render_template("sms/index.html", broadcasts=broadcasts,
                           counts=store.counts(session, [b.id for b in broadcasts]), Status=SmsStatus)


@bp.route("/new", methods=["GET", "POST"])
@requires(Perm.CAMPAIGNS)
def create():
    if request.method == "GET":
        return _form_page()
    session = db()
    try:
        broadcast = store.create_broadcast(session, _spec(request.form))
    except FormError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _form_page(400)
    audit.record(session, "sms.create", "sms_broadcast", broadcast.id, name=broadcast.name)
    session.commit()
    flash(f"Broadcast {broadcast.name} saved.", "ok")
    return redirect(url_for("sms.detail", broadcast_id=broadcast.id))


@bp.get("/<int:broadcast_id>")
@requires(Perm.CAMPAIGNS)
def detail(broadcast_id: int):
    session = db()
    broadcast = get_or_404(SmsBroadcast, broadcast_id)
    messages = session.scalars(select(SmsMessage).where(SmsMessage.broadcast_id == broadcast_id)
                               .order_by(SmsMessage.id).limit(PAGE)).all()
    total = session.scalar(select(func.count()).select_from(SmsMessage)
                           .where(SmsMessage.broadcast_id == broadcast_id))
    shape = sms_text.shape(broadcast.template)
    counts = store.counts(session, [broadcast_id])[broadcast_id]
    return render_template("sms/detail.html", b=broadcast, messages=messages, total=total, shape=shape,
                           counts=counts, Status=SmsStatus, states=list(SmsBroadcastState),
                           untouched=counts[SmsStatus.QUEUED] == total,
                           live=broadcast.state is not SmsBroadcastState.PAUSED
                           and any(counts[s] for s in store.OPEN))


@bp.post("/<int:broadcast_id>/state")
@requires(Perm.CAMPAIGNS)
def set_state(broadcast_id: int):
    session = db()
    broadcast = get_or_404(SmsBroadcast, broadcast_id)
    wanted = request.form.get("state", "")
    if wanted not in (SmsBroadcastState.SCHEDULED, SmsBroadcastState.PAUSED):
        abort(400)
    broadcast.state = SmsBroadcastState(wanted)
    audit.record(session, f"sms.{wanted}", "sms_broadcast", broadcast.id, name=broadcast.name)
    session.commit()
    flash(f"Broadcast {broadcast.name} is now {wanted}.", "ok")
    return redirect(url_for("sms.detail", broadcast_id=broadcast_id))
