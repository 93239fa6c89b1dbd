"""Which role may do what: one table, one decorator, used by every blueprint.

Permissions are named after features, not pages, so a new page of an
existing feature inherits its rule. Admin holds every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from store.enums import UserRole


class Perm(StrEnum):
    USERS = "users"  # users, teams
    SEATS = "seats"  # PBX nodes, seats, provisioning
    AUDIT = "audit"
    CAMPAIGNS = "campaigns"  # campaigns, schedules, lists, leads, DNC
    WALLBOARD = "wallboard"
    CALLS = "calls"  # call log
    RECORDINGS = "recordings"  # play and download audio
    REPORTS = "reports"
    AGENT_PANEL = "agent_panel"


ROLE_PERMS: dict[UserRole, frozenset[Perm]] = {
    UserRole.ADMIN: frozenset(Perm),
    UserRole.SUPERVISOR: frozenset(
        {Perm.CAMPAIGNS, Perm.WALLBOARD, Perm.CALLS, Perm.RECORDINGS, Perm.REPORTS}
    ),
    UserRole.QA: frozenset({Perm.CALLS, Perm.RECORDINGS, Perm.REPORTS}),
    UserRole.AGENT: frozenset({Perm.AGENT_PANEL}),
}


def can(perm: Perm) -> bool:
    """For templates and views: may the current user use this feature."""
    return bool(current_user.is_authenticated and perm in ROLE_PERMS[current_user.role])


F = TypeVar("F", bound=Callable[..., Any])


def requires(perm: Perm) -> Callable[[F], F]:
    """Log-in required (redirect to the form), then 403 unless the role holds ``perm``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(perm):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorate
