"""IVR menu pages: list (with each menu's busy count and today's use per option), create, edit, delete.

Saving a menu re-provisions the nodes whose routes answer with menus: Asterisk gets its dialplan
re-rendered and reloaded with the prompts beside it; FreeSWITCH gets the prompts, and the menus
at its next dialplan lookup (mod_xml_curl).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from dialplans.ivr import KEYS
from store.enums import InboundTarget, IvrAction
from store.models import InboundRoute, IvrMenu
from store.types import utcnow
from web import prompts
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db
from web.http import get_or_404
from web.inbound import ivr
from web.inbound.ivr import IvrError, MenuInput
from web.reports.ivr import menu_use
from web.reports.services import Period
from web.seats.views import reprovision

bp = Blueprint("ivr", __name__, url_prefix="/admin/ivr")
#: The choices of a key besides a route or a menu, as the form shows them.
PLAIN_CHOICES = ((IvrAction.CALLBACK.value, "a callback request (listed under Missed callers)"),
                 (IvrAction.HANGUP.value, "goodbye (hang up)"))


def _input(form: MultiDict[str, str]) -> MenuInput:
    data, name = prompts.read_upload(request.files.get("prompt")) or (None, "")
    return MenuInput(
        name=form.get("name", ""), keys={k: form.get(f"key_{k}", "") for k in KEYS},
        timeout_s=form.get("timeout_s", ""), retries=form.get("retries", ""),
        on_no_choice=form.get("on_no_choice", ""), channel_limit=form.get("channel_limit", ""),
        prompt=data, prompt_name=name)


def _choices(current: IvrMenu | None) -> list[tuple[str, str]]:
    """What a key can do: a queue or seat route, another menu, a callback, hang-up."""
    session = db()
    routes = session.scalars(select(InboundRoute).where(InboundRoute.target != InboundTarget.IVR)
                             .order_by(InboundRoute.name))
    menus = session.scalars(select(IvrMenu).order_by(IvrMenu.name))
    return ([(f"route:{r.id}", f"{r.target.value} {r.name} ({r.did})") for r in routes]
            + [(f"menu:{m.id}", f"sub-menu {m.name}") for m in menus if current is None or m.id != current.id]
            + list(PLAIN_CHOICES))


def _page(menu: IvrMenu | None, status: int = 200):
    session = db()
    menus = session.scalars(select(IvrMenu).order_by(IvrMenu.name)).all()
    used = {m_id: name for name, m_id in session.execute(
        select(InboundRoute.name, InboundRoute.ivr_id).where(InboundRoute.ivr_id.is_not(None)))}
    stored = {k: f"{o['go']}:{o['to']}" if "to" in o else str(o["go"])
              for k, o in (menu.options or {}).items()} if menu else {}
    form = request.form if request.method == "POST" else None
    today = utcnow().date()
    use = {u.menu_id: u for u in menu_use(session, Period(today, today))}
    return render_template("inbound/ivr.html", menus=menus, m=menu, used=used, keys=KEYS, stored=stored,
                           choices=_choices(menu), form=form, today=use), status


@bp.get("")
@requires(Perm.IVR)
def index():
    return _page(None)


@bp.get("/<int:menu_id>")
@requires(Perm.IVR)
def edit(menu_id: int):
    return _page(get_or_404(IvrMenu, menu_id))


@bp.post("")
@requires(Perm.IVR)
def create():
    return _save(None)


@bp.post("/<int:menu_id>")
@requires(Perm.IVR)
def update(menu_id: int):
    return _save(get_or_404(IvrMenu, menu_id))


def _save(row: IvrMenu | None):
    session = db()
    try:
        menu = ivr.save(session, _input(request.form), row)
    except IvrError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _page(row if row is None else session.get(IvrMenu, row.id), 400)
    audit.record(session, "ivr_menu.update" if row else "ivr_menu.create", "ivr_menu", menu.id,
                 name=menu.name, keys=sorted(menu.options), channel_limit=menu.channel_limit)
    session.commit()
    flash(f"IVR menu {menu.name} saved.", "ok")
    reprovision(session, ivr.nodes_with_menus(session))
    return redirect(url_for("ivr.edit", menu_id=menu.id))


@bp.post("/<int:menu_id>/delete")
@requires(Perm.IVR)
def delete(menu_id: int):
    session = db()
    row = get_or_404(IvrMenu, menu_id)
    name = row.name
    try:
        ivr.delete(session, row)
    except IvrError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("ivr.edit", menu_id=menu_id))
    audit.record(session, "ivr_menu.delete", "ivr_menu", menu_id, name=name)
    session.commit()
    flash(f"IVR menu {name} deleted.", "ok")
    reprovision(session, ivr.nodes_with_menus(session))
    return redirect(url_for("ivr.index"))
