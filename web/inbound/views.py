"""Inbound route pages: list, create, edit, delete (runners pick changes up on their next poll)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from store.enums import InboundTarget, MaxWait
from store.models import Agent, Campaign, InboundRoute, IvrMenu, Trunk
from web.auth import audit
from web.auth.roles import Perm, requires
from web.campaigns.forms import format_hours
from web.db import db
from web.http import get_or_404, int_or_none
from web.inbound import services
from web.inbound.services import RouteError, RouteInput
from web.quality import survey
from web.seats.views import publish_prompts, reprovision

bp = Blueprint("inbound", __name__, url_prefix="/admin/inbound")


def _ids(form: MultiDict[str, str], name: str) -> list[int]:
    return [int(v) for v in form.getlist(name) if v.isascii() and v.isdigit() and len(v) < 10]


def _input(form: MultiDict[str, str]) -> RouteInput:
    return RouteInput(
        name=form.get("name", ""), did=form.get("did", ""), target=form.get("target", "queue"),
        hotline_agent_ids=_ids(form, "hotline"), overflow_agent_ids=_ids(form, "overflow"),
        overflow_after_s=form.get("overflow_after_s", ""), max_wait_s=form.get("max_wait_s", ""),
        hours=form.get("hours", ""), timezone=form.get("timezone", ""), holidays=form.get("holidays", ""),
        record_calls=form.get("record_calls") == "on", enabled=form.get("enabled") == "on",
        on_max_wait=form.get("on_max_wait", MaxWait.VOICEMAIL.value),
        announce_every_s=form.get("announce_every_s", "0"), announce_wait=form.get("announce_wait") == "on",
        campaign_id=int_or_none(form.get("campaign_id")),
        ivr_id=form.get("ivr_id", ""))


def _page(route: InboundRoute | None, status: int = 200):
    session = db()
    routes = session.scalars(select(InboundRoute).options(selectinload(InboundRoute.trunk))
                             .order_by(InboundRoute.name)).all()
    agents = session.scalars(select(Agent).options(selectinload(Agent.user)).order_by(Agent.id)).all()
    trunks = session.scalars(select(Trunk).order_by(Trunk.name)).all()
    dids = [(f"{t.id}:{d}", f"{d} ({t.name})") for t in trunks for d in t.dids or []]
    menus = session.scalars(select(IvrMenu).order_by(IvrMenu.name)).all()
    return render_template(
        "inbound/index.html", routes=routes, r=route, form=request.form if request.method == "POST" else None,
        agents=agents, names={a.id: a.user.username for a in agents}, dids=dids, targets=list(InboundTarget),
        campaigns=session.scalars(select(Campaign).order_by(Campaign.name)).all(),
        menus=menus,
        hours_text=format_hours(route.hours) if route and route.hours else ""), status


@bp.get("")
@requires(Perm.SEATS)
def index():
    return _page(None)


@bp.get("/<int:route_id>")
@requires(Perm.SEATS)
def edit(route_id: int):
    return _page(get_or_404(InboundRoute, route_id))


@bp.post("")
@requires(Perm.SEATS)
def create():
    return _save(None)


@bp.post("/<int:route_id>")
@requires(Perm.SEATS)
def update(route_id: int):
    return _save(get_or_404(InboundRoute, route_id))


def _save(row: InboundRoute | None):
    session = db()
    was = row.target if row else None
    nodes = list(row.trunk.nodes) if row else []
    try:
        survey_input = survey.parse(request.form, request.files)
        route = services.save(session, _input(request.form), row)
        survey.apply(route, survey_input)
    except (RouteError, survey.SurveyError) as exc:
        session.rollback()
        flash(str(exc), "error")
        return _page(row, 400)
    nodes = list(dict.fromkeys([*nodes, *route.trunk.nodes]))
    action = "inbound_route.update" if row else "inbound_route.create"
    audit.record(session, action, "inbound_route", route.id, name=route.name, did=route.did,
                 target=route.target.value)
    session.commit()
    flash(f"Inbound route {route.name} saved: the nodes answer it within seconds.", "ok")
    if survey.changes_prompts(survey_input):
        publish_prompts(session)
    if InboundTarget.IVR in (route.target, was):  # the menus' DIDs are in the nodes' dialplans
        reprovision(session, nodes)
    return redirect(url_for("inbound.index"))


@bp.post("/<int:route_id>/delete")
@requires(Perm.SEATS)
def delete(route_id: int):
    session = db()
    row = get_or_404(InboundRoute, route_id)
    name, nodes = row.name, list(row.trunk.nodes) if row.target is InboundTarget.IVR else []
    session.delete(row)
    audit.record(session, "inbound_route.delete", "inbound_route", route_id, name=name)
    session.commit()
    flash(f"Inbound route {name} deleted.", "ok")
    reprovision(session, nodes)
    return redirect(url_for("inbound.index"))
