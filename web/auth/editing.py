"""Changing an existing user's role and team: planned first (the admin confirms), then applied.

The plan is what the confirmation page lists and what the audit row keeps, so
both say exactly what changed. An agent's team is the team they sit in; a
non-agent's teams are those they lead (a team leader's scope, ``team_scope``).
An agent stays an agent and a non-agent never becomes one: an agent has a desk
(seat, state, history) a role change cannot make or unmake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.enums import UserRole
from store.models import Team, User
from web.auth.services import UserError, revoke_sessions


@dataclass(frozen=True)
class Change:
    what: str  # "role", "team", "leads"
    old: str
    new: str


@dataclass(frozen=True)
class UserEdit:
    role: UserRole
    team_id: int | None = None  # agents: the team they sit in
    led_team_ids: frozenset[int] = frozenset()  # others: the teams they lead


def parse_role(raw: str) -> UserRole:
    """A role from a form; empty or unknown is a clear error (never a silent default)."""
    if not raw:
        raise UserError("choose a role")
    try:
        return UserRole(raw)
    except ValueError:
        raise UserError(f"unknown role {raw[:32]!r}") from None


def _team_names(session: Session, ids: frozenset[int]) -> str:
    names = session.scalars(select(Team.name).where(Team.id.in_(ids)).order_by(Team.name)).all()
    return ", ".join(names) or "none"


def _ids(team_id: int | None) -> frozenset[int]:
    return frozenset() if team_id is None else frozenset({team_id})


def led_teams(session: Session, user: User) -> frozenset[int]:
    return frozenset(session.scalars(select(Team.id).where(Team.leader_id == user.id)))


def plan(session: Session, user: User, edit: UserEdit, acting_user_id: int) -> list[Change]:
    """What ``edit`` would change on ``user`` (empty: nothing); UserError if it may not be done."""
    if (edit.role is UserRole.AGENT) != (user.role is UserRole.AGENT):
        raise UserError("agents have a desk of their own: create a new account instead")
    if user.id == acting_user_id and edit.role is not user.role:
        raise UserError("you cannot change your own role (ask another admin)")
    known = frozenset(session.scalars(select(Team.id)))
    wanted = edit.led_team_ids | ({edit.team_id} if edit.team_id is not None else frozenset())
    if wanted - known:
        raise UserError("unknown team")
    changes = []
    if edit.role is not user.role:
        changes.append(Change("role", user.role.value, edit.role.value))
    if user.agent is not None:
        if edit.team_id != user.agent.team_id:
            changes.append(Change("team", _team_names(session, _ids(user.agent.team_id)),
                                  _team_names(session, _ids(edit.team_id))))
    else:
        current = led_teams(session, user)
        if edit.led_team_ids != current:
            changes.append(Change("leads", _team_names(session, current),
                                  _team_names(session, edit.led_team_ids)))
            for team in session.scalars(select(Team).where(Team.id.in_(edit.led_team_ids - current))):
                if team.leader is not None:  # a team has one leader: the other one loses it
                    changes.append(Change(f"leader of {team.name}", team.leader.username, user.username))
    return changes


def apply(session: Session, user: User, edit: UserEdit) -> None:
    """Make the edit (already planned and confirmed). A new role ends the user's sessions; a team
    change does not (the scope is read again on every request, and an agent mid-call keeps the panel)."""
    if edit.role is not user.role:
        revoke_sessions(user)
    user.role = edit.role
    if user.agent is not None:
        user.agent.team_id = edit.team_id
    else:
        for team in session.scalars(select(Team)):
            if team.id in edit.led_team_ids:
                team.leader_id = user.id
            elif team.leader_id == user.id:
                team.leader_id = None
