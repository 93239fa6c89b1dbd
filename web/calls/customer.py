"""One customer on one page: their leads, calls (both ways, with recordings and dispositions), sales
and complaints, found by their number in any form it is stored in (``number_forms``).

Scope is the call log's (``team_scope``; the calls come from the call log's own query, ``search``):
a team leader sees what their teams' agents did with the customer. An agent has no call log: they
see the history of a customer they have spoken to (a call they took), every team's part of it, since
serving the customer is why they look; their role plays no recordings, so the page shows none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from store.inbound import number_forms
from store.models import Attempt, Call, Campaign, Lead, Order, Ticket
from web.auth.roles import Perm, campaigns_within, can, team_scope, within
from web.calls.services import CALL_AGENT, CallFilter, of_customer, search
from web.db import db
from web.http import bounded_int

bp = Blueprint("customers", __name__, url_prefix="/customers")
MAX_PAGE = 10_000
SHOWN = 100


@dataclass(frozen=True)
class History:
    number: str
    leads: list[Lead]
    calls: list[dict[str, Any]]
    more: bool
    orders: list[Order]
    tickets: list[Ticket]


def history(session: Session, forms: tuple[str, ...], teams: frozenset[int] | None, page: int = 0) -> History:
    """What ``teams`` (None: every team) did with the customer whose number has these ``forms``."""
    calls, more = search(session, CallFilter(customer=forms, page=page), teams)
    leads = select(Lead).where(Lead.phone.in_(forms))
    if teams is not None:
        leads = leads.where(Lead.campaign_id.in_(select(Campaign.id).where(campaigns_within(teams))))
    orders = (
        select(Order)
        .join(Attempt, Attempt.id == Order.attempt_id)
        .where(Attempt.phone.in_(forms), within(teams, Order.team_id))
        .order_by(Order.sold_at.desc(), Order.id.desc())
        .limit(SHOWN)
    )
    tickets = (
        select(Ticket)
        .where(Ticket.phone.in_(forms), within(teams, Ticket.team_id))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(SHOWN)
    )
    return History(
        forms[0],
        list(session.scalars(leads.order_by(Lead.id.desc()).limit(SHOWN))),
        calls,
        more,
        list(session.scalars(orders)),
        list(session.scalars(tickets)),
    )


def spoke_with(session: Session, agent_id: int, forms: tuple[str, ...]) -> bool:
    """Whether the agent took a call with this customer."""
    took = (
        select(Call.id)
        .outerjoin(Attempt, Attempt.id == Call.attempt_id)
        .where(of_customer(forms), CALL_AGENT.in_([agent_id]))
    )
    return bool(session.scalar(select(exists(took))))


@bp.get("/<number>")
@login_required
def show(number: str):
    session = db()
    forms = number_forms(number[:64])
    if not forms:
        abort(400, "give the customer's number (digits, with or without +)")
    if can(Perm.CALLS):
        teams = team_scope()
    elif (
        can(Perm.AGENT_PANEL)
        and current_user.agent_id is not None
        and spoke_with(session, current_user.agent_id, forms)
    ):
        teams = None
    else:
        abort(403)
    page = bounded_int(request.args.get("page"), "page", 0, MAX_PAGE, 0)
    return render_template("customers/history.html", h=history(session, forms, teams, page), page=page)
