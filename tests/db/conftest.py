"""Database fixtures: every test here runs on SQLite and on PostgreSQL.

PostgreSQL: one throw-away database per test session (``switchboard_test_<hex>``)
on the server named by ``SWITCHBOARD_TEST_PG_URL`` (default: postgres on
127.0.0.1:5432), with its ``public`` schema emptied before each test. An
unreachable server FAILS the postgres variants: CI starts PostgreSQL, and a
silently skipped half of the suite would hide regressions.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from lab.schema_copy import upgrade_to_head
from store import migrate
from store.db import make_engine, session_factory

DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _libpq(url: str) -> str:
    """A SQLAlchemy-style URL as a libpq conninfo URL (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return os.environ.get("SWITCHBOARD_TEST_PG_URL", DEFAULT_PG_SERVER)


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    name = f"switchboard_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(_libpq(pg_server_url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {migrate.display_url(pg_server_url)} ({exc}). "
            "Start it (scripts/test does) or point SWITCHBOARD_TEST_PG_URL at a server.",
            pytrace=False,
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield (
                make_url(pg_server_url)
                .set(drivername="postgresql+psycopg", database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _empty_pg_schema(url: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database (no tables at all)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'switchboard.sqlite3'}"
    url = request.getfixturevalue("pg_database_url")
    _empty_pg_schema(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    upgrade_to_head(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    """PostgreSQL only (for what SQLite cannot do: row locks, query plans), migrated to head."""
    _empty_pg_schema(pg_database_url)
    migrate.upgrade(pg_database_url, "head")
    engine = make_engine(pg_database_url)
    yield engine
    engine.dispose()
