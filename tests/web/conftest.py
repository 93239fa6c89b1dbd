"""Web fixtures (flaskr style): an app on a migrated database, users of every role, a CSRF-aware client.

The database fixtures come from ``tests/db/conftest.py``, so every web test runs
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from lab.schema_copy import upgrade_to_head
from settings import Settings
from store.enums import UserRole
from store.models import Agent, User
from tests.db.conftest import db_url, pg_database_url, pg_server_url  # noqa: F401 - fixtures
from tests.integration.conftest import sandbox  # noqa: F401 - fixture (the real Asterisk sandbox)
from web.app import create_app
from web.db import sessions

PASSWORD = "correct horse battery"
ROLES = {"admin": UserRole.ADMIN, "sup": UserRole.SUPERVISOR, "qa": UserRole.QA, "agent1": UserRole.AGENT}
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@functools.cache
def _password_hash() -> str:
    """Hashed once per session: scrypt costs 0.1 s, times four users, times every test."""
    return generate_password_hash(PASSWORD)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:  # noqa: F811
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=db_url,
        secret_key="test-secret",
        sandbox_state=tmp_path / "sandbox",
        recordings_dir=tmp_path / "recordings",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    upgrade_to_head(settings.sqlalchemy_url)
    app = create_app(settings, TESTING=True)
    with app.app_context(), sessions().begin() as session:
        for username, role in ROLES.items():
            user = User(username=username, password_hash=_password_hash(), role=role, display_name=username)
            session.add(Agent(user=user) if role is UserRole.AGENT else user)
    yield app
    app.extensions["sb_live"].stop()  # its change poller reads the database the next test migrates
    app.extensions["sb_engine"].dispose()


@dataclass
class Client:
    """A test client that behaves like a browser: it sends the CSRF token of the last page it saw."""

    raw: FlaskClient
    csrf: str = ""

    def get(self, url: str, **kwargs):
        response = self.raw.get(url, **kwargs)
        match = (
            _CSRF_META.search(response.get_data(as_text=True)) if response.mimetype == "text/html" else None
        )
        if match:
            self.csrf = match.group(1)
        return response

    def post(self, url: str, data: dict | None = None, **kwargs):
        if not self.csrf:
            self.get("/login")
        return self.raw.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def login(self, username: str, password: str = PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        if response.status_code == 302:  # the session starts anew with its own token: the next page has it
            self.get("/login")
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def as_role(app: Flask):
    """``as_role("admin")``: a fresh client logged in as that user."""

    def make(username: str, password: str = PASSWORD) -> Client:
        c = Client(app.test_client())
        response = c.login(username, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return make

