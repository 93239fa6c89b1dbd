"""Which role may do what, and over which teams: one table, one decorator, used by every blueprint.

Permissions are named after features, not pages, so a new page of an
existing feature inherits its rule. ``ALL_TEAMS`` is the scope: a role
without it sees calls, recordings and reports of the teams its user leads
only, and the queries themselves take that scope (``team_scope``), so no
page can forget it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, true

from store.enums import UserRole
from store.models import Campaign, Team


class Perm(StrEnum):
    USERS = "users"  # users, teams
    SEATS = "seats"  # PBX nodes, seats, provisioning, /metrics
    AUDIT = "audit"
    CAMPAIGNS = "campaigns"  # campaigns, schedules
    LEADS = "leads"  # lead lists and imports, DNC, purges
    LISTS = "lists"  # see lead lists and the campaigns they feed (in scope); changing them is LEADS
    WALLBOARD = "wallboard"
    CALLS = "calls"  # call log
    RECORDINGS = "recordings"  # play and download audio
    REPORTS = "reports"
    AGENT_PANEL = "agent_panel"
    ALL_TEAMS = "all_teams"  # calls, recordings, reports, lists, commission of every team (else: one's own)
    PRODUCTS = "products"  # the product catalogue and the commission rules
    ORDERS = "orders"  # cancel and refund orders
    COMMISSION = "commission"  # statements: one's own, the teams one leads, or (ALL_TEAMS) everyone's
    PAYROLL = "payroll"  # the payroll export (every person's month)
    FAX = "fax"  # send faxes, the fax inbox (assign, notes)
    QA_SCORE = "qa_score"  # the QA work list, drawing samples, scoring calls, calibration (in scope)
    QA_FORMS = "qa_forms"  # scorecard forms and the teams' sampling policies
    OWN_SCORES = "own_scores"  # an agent's own QA scores: read, acknowledge, dispute
    TICKETS = "tickets"  # complaint tickets in scope (who takes each step: orchestrator.quality.tickets)
    OWN_TICKETS = "own_tickets"  # complaints assigned (or escalated) to oneself: their pages, their steps
    PURCHASES = "purchases"  # vendors, bought batches, their sample tests, hand-outs to teams, destruction
    HANDOUT = "handout"  # hand a team's records to its agents or campaigns; destroy its used-up lists
    MONITOR = "monitor"  # listen to, whisper to, barge in on an agent's call in scope (wallboard)
    KNOWLEDGE = "knowledge"  # write knowledge-base articles, see how agents use them (agents search: panel)
    IVR = "ivr"  # IVR menus: prompts, keys, channel limits (the routes that answer with them are SEATS)


#: Whoever handles complaints in scope also has the pages of those assigned to them.
_COMPLAINTS = frozenset({Perm.TICKETS, Perm.OWN_TICKETS})
_CENTRE = frozenset({Perm.CAMPAIGNS, Perm.LEADS, Perm.LISTS, Perm.WALLBOARD, Perm.CALLS, Perm.RECORDINGS,
                     Perm.REPORTS, Perm.FAX, Perm.ALL_TEAMS})

#: The reference customer's roles. QA scores any team's recordings and reads the rest; the trainer reads
#: reports and keeps the knowledge base; the data manager owns lead batches and DNC; the sysadmin runs
#: nodes, seats and accounts but hears no call.
ROLE_PERMS: dict[UserRole, frozenset[Perm]] = {
    UserRole.ADMIN: frozenset(Perm),
    UserRole.DIRECTOR: _CENTRE | {Perm.AUDIT, Perm.PRODUCTS, Perm.ORDERS, Perm.COMMISSION, Perm.PAYROLL,
                                  Perm.QA_SCORE, Perm.QA_FORMS, Perm.PURCHASES, Perm.HANDOUT,
                                  Perm.MONITOR} | _COMPLAINTS,
    UserRole.SUPERVISOR: _CENTRE | {Perm.ORDERS, Perm.QA_SCORE, Perm.MONITOR, Perm.IVR} | _COMPLAINTS,
    UserRole.TEAM_LEADER: frozenset({Perm.WALLBOARD, Perm.CALLS, Perm.RECORDINGS, Perm.REPORTS, Perm.LISTS,
                                     Perm.COMMISSION, Perm.QA_SCORE, Perm.HANDOUT,
                                     Perm.MONITOR}) | _COMPLAINTS,
    UserRole.QA: frozenset({Perm.CALLS, Perm.RECORDINGS, Perm.REPORTS, Perm.ALL_TEAMS, Perm.QA_SCORE,
                            Perm.QA_FORMS}) | _COMPLAINTS,
    UserRole.TRAINER: frozenset({Perm.REPORTS, Perm.ALL_TEAMS, Perm.KNOWLEDGE}),
    UserRole.DATA_MANAGER: frozenset({Perm.LEADS, Perm.LISTS, Perm.ALL_TEAMS, Perm.PURCHASES,
                                      Perm.HANDOUT}),  # every team's batches
    UserRole.SYSADMIN: frozenset({Perm.USERS, Perm.SEATS, Perm.AUDIT}),
    # An agent may be assigned a complaint: its follow-up and its return visit, placed from their panel.
    UserRole.AGENT: frozenset({Perm.AGENT_PANEL, Perm.COMMISSION, Perm.OWN_SCORES, Perm.OWN_TICKETS}),
}

#: Each role's first page after log-in.
HOME = {
    UserRole.ADMIN: "seats.index",
    UserRole.DIRECTOR: "wallboard.index",
    UserRole.SUPERVISOR: "wallboard.index",
    UserRole.TEAM_LEADER: "calls.index",
    UserRole.QA: "calls.index",
    UserRole.TRAINER: "kb.index",
    UserRole.DATA_MANAGER: "leads.lists",
    UserRole.SYSADMIN: "seats.index",
    UserRole.AGENT: "agent.panel",
}


def can(perm: Perm) -> bool:
    """For templates and views: may the current user use this feature."""
    return bool(current_user.is_authenticated and perm in ROLE_PERMS[current_user.role])


def team_scope() -> frozenset[int] | None:
    """The teams whose calls, recordings and reports the current user may see; None: every team."""
    return None if can(Perm.ALL_TEAMS) else current_user.led_teams


def within(teams: frozenset[int] | None, team_column: Any) -> ColumnElement[bool]:
    """The WHERE clause of a scope: rows of those teams only (agents in no team are nobody's team)."""
    return true() if teams is None else team_column.in_(teams)


def campaigns_within(teams: frozenset[int] | None) -> ColumnElement[bool]:
    """The WHERE clause of a scope on campaigns: those one of the teams works (``campaign_teams``).

    Lead lists are in a scope through their campaign (``LeadList.campaign.has(...)``): a list
    assigned to no campaign is nobody's team's.
    """
    return true() if teams is None else Campaign.teams.any(Team.id.in_(teams))


F = TypeVar("F", bound=Callable[..., Any])


def requires(perm: Perm) -> Callable[[F], F]:
    """Log-in required (redirect to the form), then 403 unless the role holds ``perm``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(perm):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorate
