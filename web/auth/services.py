"""Users: creation with hashed passwords, authentication, and the log-in identity.

Passwords are hashed with Werkzeug's scrypt; the hash string carries its own
method and salt, so a future change of algorithm keeps old hashes valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from store.enums import UserRole
from store.models import Agent, Team, User
from store.types import utcnow

MIN_PASSWORD_LENGTH = 8
# Verified against when the user does not exist, so a wrong user name costs as
# much time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class UserError(ValueError):
    """A user could not be created as asked (message is shown to the admin)."""


@dataclass(frozen=True)
class Identity:
    """What Flask-Login keeps for the request: no ORM object outlives its session."""

    id: int
    username: str
    role: UserRole
    agent_id: int | None
    session_version: int = 0
    led_teams: frozenset[int] = frozenset()  # the teams whose leader this user is
    language: str | None = None  # chosen for the web pages (web.i18n); None: the browser's
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        """What the session cookie carries: the user and the session version it was issued under."""
        return f"{self.id}.{self.session_version}"


def identity(session: Session, user_id: int) -> Identity | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    led = frozenset(session.scalars(select(Team.id).where(Team.leader_id == user.id)))
    return Identity(
        user.id, user.username, user.role, user.agent.id if user.agent else None, user.session_version, led,
        user.language,
    )


def session_identity(session: Session, cookie_id: str) -> Identity | None:
    """The user of a session cookie, unless its version was revoked since (or it is malformed)."""
    user_id, _, version = cookie_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    found = identity(session, int(user_id))
    return found if found is not None and found.session_version == int(version) else None


def revoke_sessions(user: User) -> None:
    """End every session of this user, on every browser (committed with the caller's change)."""
    user.session_version += 1


def create_user(
    session: Session,
    username: str,
    password: str,
    role: UserRole,
    *,
    display_name: str = "",
    team_id: int | None = None,
) -> User:
    """Create a user; agents also get their agent row (team, state logged out)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("user name must be 1 to 64 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash="",
        role=UserRole(role),
        display_name=display_name or username,
        session_version=0,
    )
    set_password(user, password)
    session.add(user)
    if user.role is UserRole.AGENT:
        session.add(Agent(user=user, team_id=team_id))
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(password)
    revoke_sessions(user)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password is right and the account active.

    Every answer costs one scrypt check (unknown and deactivated accounts included),
    so timing tells nothing about which accounts exist or are switched off.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not user.active or not right:
        return None
    user.last_login_at = utcnow()
    return user
