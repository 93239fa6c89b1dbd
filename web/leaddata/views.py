"""Pages of bought lead data: vendors, purchases (sample test, hand-out to teams, destruction),
the team leader's hand-outs, the certificates and the vendor quality report."""

from __future__ import annotations

import random
from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from store.enums import OUTBOUND_MODES
from store.models import (
    Agent,
    Campaign,
    DestructionCertificate,
    Handout,
    Lead,
    LeadList,
    Purchase,
    Team,
    Vendor,
)
from store.types import utcnow
from web.auth import audit
from web.auth.roles import Perm, can, requires, team_scope
from web.campaigns.services import visible_campaigns
from web.db import db, sealer
from web.http import get_or_404, int_or_none
from web.leaddata import destruction, handout, purchases
from web.leaddata.purchases import PurchaseError
from web.leaddata.report import vendor_quality

bp = Blueprint("leaddata", __name__, url_prefix="/data")


def wiper() -> destruction.Wiper:
    settings = current_app.config["SWITCHBOARD_SETTINGS"]
    return destruction.Wiper.of(sealer(), settings)


@bp.route("/vendors", methods=["GET", "POST"])
@requires(Perm.PURCHASES)
def vendors():
    session = db()
    if request.method == "POST":
        try:
            vendor = purchases.create_vendor(
                session,
                request.form.get("name", ""),
                request.form.get("contact", ""),
                request.form.get("notes", ""),
            )
        except PurchaseError as exc:
            flash(str(exc), "error")
        else:
            audit.record(session, "vendor.create", "vendor", vendor.id, name=vendor.name)
            session.commit()
            flash(f"Vendor {vendor.name} added.", "ok")
        return redirect(url_for("leaddata.vendors"))
    return render_template(
        "leaddata/vendors.html",
        vendors=session.scalars(select(Vendor).order_by(Vendor.name)),
        quality=vendor_quality(session),
    )


@bp.route("/purchases", methods=["GET", "POST"])
@requires(Perm.PURCHASES)
def purchase_list():
    session = db()
    if request.method == "POST":
        try:
            purchase = purchases.create_purchase(session, request.form.to_dict())
        except PurchaseError as exc:
            flash(str(exc), "error")
            return redirect(url_for("leaddata.purchase_list"))
        audit.record(session, "purchase.create", "purchase", purchase.id, batch=purchase.batch)
        session.commit()
        flash(f"Batch {purchase.batch} recorded: import its file into it from the Lists page.", "ok")
        return redirect(url_for("leaddata.purchase", purchase_id=purchase.id))
    return render_template(
        "leaddata/purchases.html",
        purchases=session.scalars(select(Purchase).order_by(Purchase.id.desc())).all(),
        vendors=session.scalars(select(Vendor).order_by(Vendor.name)).all(),
    )


@bp.get("/purchases/<int:purchase_id>")
@requires(Perm.PURCHASES)
def purchase(purchase_id: int):
    session = db()
    batch = get_or_404(Purchase, purchase_id)
    lists = session.execute(
        select(LeadList, func.count(Lead.id))
        .outerjoin(Lead, Lead.list_id == LeadList.id)
        .where(LeadList.purchase_id == batch.id, ~LeadList.importing)
        .group_by(LeadList.id)
        .order_by(LeadList.id)
    ).all()
    population, planned = purchases.planned_sample(session, batch)
    counts, verdict = purchases.verdict(session, batch)
    campaigns = [c for c in visible_campaigns(session, None) if c.mode in OUTBOUND_MODES]
    return render_template(
        "leaddata/purchase.html",
        batch=batch,
        lists=lists,
        population=population,
        planned=planned,
        counts=counts,
        verdict=verdict,
        campaigns=campaigns,
        teams=session.scalars(select(Team).order_by(Team.name)).all(),
        handouts=session.scalars(
            select(Handout).where(Handout.purchase_id == batch.id).order_by(Handout.id)
        ).all(),
        certificates=session.scalars(
            select(DestructionCertificate).where(DestructionCertificate.purchase_id == batch.id)
        ).all(),
    )


def _refused(exc: PurchaseError, endpoint: str = "leaddata.purchase", purchase_id: int | None = None):
    db().rollback()
    flash(str(exc), "error")
    return redirect(url_for(endpoint, purchase_id=purchase_id) if purchase_id else url_for(endpoint))


Outcome = tuple[str, dict[str, object]]  # the message shown, the audit row's details


def _step(purchase_id: int, action: str, work: Callable[[Purchase], Outcome]):
    """One step on a batch: done, audited and committed, or refused with the reason and rolled back."""
    batch = get_or_404(Purchase, purchase_id)
    try:
        message, details = work(batch)
    except PurchaseError as exc:
        return _refused(exc, purchase_id=purchase_id)
    session = db()
    audit.record(session, action, "purchase", purchase_id, **details)
    session.commit()
    flash(message, "ok")
    return redirect(url_for("leaddata.purchase", purchase_id=purchase_id))


@bp.post("/purchases/<int:purchase_id>/sample")
@requires(Perm.PURCHASES)
def sample(purchase_id: int):
    campaign = db().get(Campaign, int_or_none(request.form.get("campaign_id")) or 0)

    def draw(batch: Purchase) -> Outcome:
        if campaign is None or campaign.mode not in OUTBOUND_MODES:
            raise PurchaseError("Choose the outbound campaign that dials the sample.")
        drawn = purchases.draw_sample(db(), batch, campaign, random.SystemRandom())
        return (
            f"Sample drawn into the list {drawn.name}, dialed by {campaign.name}.",
            {"campaign_id": campaign.id, "list_id": drawn.id},
        )

    return _step(purchase_id, "purchase.sample", draw)


@bp.post("/purchases/<int:purchase_id>/decide")
@requires(Perm.PURCHASES)
def decide(purchase_id: int):
    accept = request.form.get("decision") == "accept"
    word = "accepted" if accept else "rejected"

    def judge(batch: Purchase) -> Outcome:
        purchases.decide(db(), batch, accept, current_user.id, request.form.get("note", ""))
        return f"Batch {batch.batch} {word}.", {}

    return _step(purchase_id, f"purchase.{word}", judge)


@bp.post("/purchases/<int:purchase_id>/handout")
@requires(Perm.PURCHASES)
def to_team(purchase_id: int):
    team = db().get(Team, int_or_none(request.form.get("team_id")) or 0)

    def give(batch: Purchase) -> Outcome:
        if team is None:
            raise PurchaseError("Choose the team.")
        given = handout.hand_out(
            db(), batch, handout.Receiver(team), request.form.get("count", ""), current_user.id
        )
        return f"{given.records} records handed to {team.name}.", {
            "team_id": team.id,
            "records": given.records,
        }

    return _step(purchase_id, "purchase.handout", give)


@bp.post("/purchases/<int:purchase_id>/destroy")
@requires(Perm.PURCHASES)
def destroy_batch(purchase_id: int):
    def destroy(batch: Purchase) -> Outcome:
        lists = list(db().scalars(destruction.live_lists(batch.id)))
        certificate = destruction.destroy(db(), batch, lists, wiper(), utcnow(), current_user)
        return (
            f"{certificate.facts['records']} records destroyed (certificate {certificate.id}).",
            {"certificate": certificate.id},
        )

    return _step(purchase_id, "purchase.destroy", destroy)


# -- the team leader's side ---------------------------------------------------------------------


def _in_scope(team_id: int | None) -> Team:
    team = db().get(Team, team_id or 0)
    scope = team_scope()
    if team is None or (scope is not None and team.id not in scope):
        abort(403)
    return team


@bp.get("/team")
@requires(Perm.HANDOUT)
def team():
    session = db()
    scope = team_scope()
    teams = session.scalars(
        select(Team).where(Team.id.in_(scope) if scope is not None else Team.id > 0).order_by(Team.name)
    ).all()
    held = (
        select(LeadList)
        .where(
            LeadList.team_id.in_([t.id for t in teams]),
            LeadList.purchase_id.is_not(None),
            LeadList.destroyed_at.is_(None),
        )
        .order_by(LeadList.id)
    )
    lists = session.scalars(held).all()
    left = dict(
        session.execute(
            select(Lead.list_id, func.count())
            .where(
                Lead.list_id.in_([x.id for x in lists]),
                Lead.status.in_(("new", "pending", "callback", "dialing")),
            )
            .group_by(Lead.list_id)
        )
        .tuples()
        .all()
    )
    return render_template(
        "leaddata/team.html",
        teams=teams,
        holdings=handout.team_holdings(session, scope),
        lists=lists,
        left=left,
        agents=session.scalars(select(Agent).where(Agent.team_id.in_([t.id for t in teams]))).all(),
        campaigns=[c for c in visible_campaigns(session, scope) if c.mode in OUTBOUND_MODES],
        handouts=session.scalars(
            select(Handout)
            .where(Handout.team_id.in_([t.id for t in teams]))
            .order_by(Handout.id.desc())
            .limit(200)
        ).all(),
    )


@bp.post("/team/<int:team_id>/pooling")
@requires(Perm.HANDOUT)
def pooling(team_id: int):
    """The team leader's choice: are their agents' records dialed by predictive campaigns too?"""
    session = db()
    team_ = _in_scope(team_id)
    team_.pool_owned_for_predictive = request.form.get("pool") == "1"
    audit.record(session, "team.pooling", "team", team_.id, pool=team_.pool_owned_for_predictive)
    session.commit()
    pooled = "pooled for" if team_.pool_owned_for_predictive else "left to their agents in"
    flash(f"{team_.name}: agents' records are {pooled} predictive campaigns.", "ok")
    return redirect(url_for("leaddata.team"))


@bp.post("/team/handout")
@requires(Perm.HANDOUT)
def to_agent():
    session = db()
    purchase_id, _, team_id = request.form.get("holding", "").partition("-")
    team_ = _in_scope(int_or_none(team_id))
    batch = get_or_404(Purchase, int_or_none(purchase_id) or 0)
    agent = session.get(Agent, int_or_none(request.form.get("agent_id")) or 0)
    campaign = session.get(Campaign, int_or_none(request.form.get("campaign_id")) or 0)
    try:
        given = handout.hand_out(
            session,
            batch,
            handout.Receiver(team_, agent, campaign),
            request.form.get("count", ""),
            current_user.id,
        )
    except PurchaseError as exc:
        return _refused(exc, "leaddata.team")
    audit.record(
        session,
        "purchase.handout",
        "purchase",
        batch.id,
        team_id=team_.id,
        records=given.records,
        agent_id=given.agent_id,
        campaign_id=given.campaign_id,
    )
    session.commit()
    flash(f"{given.records} records handed out.", "ok")
    return redirect(url_for("leaddata.team"))


@bp.post("/lists/<int:list_id>/destroy")
@requires(Perm.HANDOUT)
def destroy_list(list_id: int):
    session = db()
    held = get_or_404(LeadList, list_id)
    if held.purchase_id is None or held.destroyed_at is not None:
        abort(404)
    if not can(Perm.ALL_TEAMS):
        _in_scope(held.team_id)
    batch = session.get_one(Purchase, held.purchase_id)
    try:
        certificate = destruction.destroy(session, batch, [held.id], wiper(), utcnow(), current_user)
    except PurchaseError as exc:
        return _refused(exc, "leaddata.team")
    audit.record(session, "list.destroy", "lead_list", list_id, certificate=certificate.id)
    session.commit()
    flash(
        f"{certificate.facts['records']} records of {held.name} destroyed (certificate {certificate.id}).",
        "ok",
    )
    return redirect(url_for("leaddata.team"))


@bp.get("/certificates")
@requires(Perm.HANDOUT)
def certificates():
    session = db()
    return render_template(
        "leaddata/certificates.html",
        breaks=destruction.chain_breaks(session),
        certificates=session.scalars(
            select(DestructionCertificate).order_by(DestructionCertificate.id.desc())
        ).all(),
    )
