"""The first admin, created from the command line (no web page can create a user before one exists)."""

from __future__ import annotations

from store.db import make_engine, session_factory
from store.enums import UserRole
from web.auth import audit
from web.auth.services import create_user


def create_admin(database_url: str, username: str, password: str, role: UserRole = UserRole.ADMIN) -> int:
    """Create the user in its own transaction and audit it as done by ``system``; returns its id."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            user = create_user(session, username, password, role)
            audit.record(
                session, "user.create", "user", user.id, username=username, role=role.value, via="cli"
            )
            return user.id
    finally:
        engine.dispose()
