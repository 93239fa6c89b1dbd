"""Scorecard forms in the admin: a form's versions, its draft built section by section, publishing.

Only a draft (never published) version changes; publishing freezes it and the scoring page uses
the latest published version; "new version" copies the latest into a new draft. Scores point at
their version, so old scores keep the form they were given on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orchestrator.quality import scorecard as sc
from store.models import Scorecard, ScorecardVersion
from store.types import utcnow
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db
from web.http import finish, get_or_404, int_or_none

bp = Blueprint("qa_forms", __name__, url_prefix="/qa/forms")


def _back(scorecard_id: int | None, error: Exception | None = None, ok: str = "") -> Response:
    if scorecard_id is None:
        return finish("qa_forms.index", error, ok)
    return finish("qa_forms.edit", error, ok, scorecard_id=scorecard_id)


@bp.get("")
@requires(Perm.QA_FORMS)
def index():
    return render_template("quality/forms.html",
                           scorecards=db().scalars(select(Scorecard).order_by(Scorecard.name)).all())


@bp.post("")
@requires(Perm.QA_FORMS)
def create():
    name = request.form.get("name", "").strip()
    if not name or len(name) > 128:
        return _back(None, sc.FormError("a scorecard needs a name of at most 128 characters"))
    session = db()
    card = Scorecard(name=name, versions=[ScorecardVersion(number=1, form=sc.to_json(sc.Form(())))])
    session.add(card)
    try:
        session.flush()
    except IntegrityError:
        return _back(None, sc.FormError(f"a scorecard named {name!r} exists already"))
    audit.record(session, "scorecard.create", "scorecard", card.id, name=name)
    return _back(card.id, ok=f"Scorecard {name} created: add sections and items, then publish it.")


@bp.get("/<int:scorecard_id>")
@requires(Perm.QA_FORMS)
def edit(scorecard_id: int):
    card = get_or_404(Scorecard, scorecard_id)
    latest = card.versions[-1]
    return render_template("quality/form_edit.html", card=card, version=latest,
                           form=sc.from_json(latest.form))


def _draft(scorecard_id: int) -> ScorecardVersion:
    card = get_or_404(Scorecard, scorecard_id)
    latest = card.versions[-1]
    if latest.published_at is not None:
        abort(409, f"version {latest.number} is published and frozen: start a new version to change the form")
    return latest


def _item(form) -> sc.Item:
    text = form.get("text", "").strip()
    raw_weight = form.get("weight", "").strip()
    try:
        weight = Decimal(raw_weight)
    except InvalidOperation:
        raise sc.FormError(f"the weight {raw_weight[:20]!r} is not a number (write it like 10)") from None
    try:
        kind = sc.Kind(form.get("kind", ""))
    except ValueError:
        raise sc.FormError("an item is yes/no or a scale") from None
    top = int_or_none(form.get("scale_max")) or 5
    return sc.Item("", text, weight, kind, top, form.get("critical") == "1", form.get("allows_na") == "1")


def _change(scorecard_id: int, change: Callable[[sc.Form], sc.Form], ok: str) -> Response:
    """Apply ``change`` to the draft's form and store it; a ``FormError`` is flashed, nothing stored."""
    draft = _draft(scorecard_id)
    try:
        draft.form = sc.to_json(change(sc.from_json(draft.form)))
    except sc.FormError as exc:
        return _back(scorecard_id, exc)
    return _back(scorecard_id, ok=ok)


@bp.post("/<int:scorecard_id>/sections")
@requires(Perm.QA_FORMS)
def add_section(scorecard_id: int):
    return _change(scorecard_id, lambda form: sc.add_section(form, request.form.get("title", "")),
                   "Section added.")


@bp.post("/<int:scorecard_id>/items")
@requires(Perm.QA_FORMS)
def add_item(scorecard_id: int):
    def add(form: sc.Form) -> sc.Form:
        item = dataclasses.replace(_item(request.form), key=sc.next_key(form))
        section = int_or_none(request.form.get("section"))
        return sc.add_item(form, -1 if section is None else section, item)

    return _change(scorecard_id, add, "Item added.")


@bp.post("/<int:scorecard_id>/items/<key>/delete")
@requires(Perm.QA_FORMS)
def remove_item(scorecard_id: int, key: str):
    return _change(scorecard_id, lambda form: sc.remove_item(form, key), "Item removed.")


@bp.post("/<int:scorecard_id>/publish")
@requires(Perm.QA_FORMS)
def publish(scorecard_id: int):
    draft = _draft(scorecard_id)
    try:
        sc.from_json(draft.form).check_publishable()
    except sc.FormError as exc:
        return _back(scorecard_id, exc)
    draft.published_at = utcnow()
    audit.record(db(), "scorecard.publish", "scorecard", scorecard_id, version=draft.number)
    return _back(scorecard_id, ok=f"Version {draft.number} published: calls are scored on it from now on.")


@bp.post("/<int:scorecard_id>/versions")
@requires(Perm.QA_FORMS)
def new_version(scorecard_id: int):
    card = get_or_404(Scorecard, scorecard_id)
    latest = card.versions[-1]
    if latest.published_at is None:
        return _back(scorecard_id, sc.FormError(f"version {latest.number} is still a draft: change that one"))
    card.versions.append(ScorecardVersion(number=latest.number + 1, form=dict(latest.form)))
    return _back(scorecard_id, ok=f"Version {latest.number + 1} started as a copy of {latest.number}; "
                                  f"scores given on {latest.number} keep it.")
