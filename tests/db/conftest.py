"""Database fixtures: every test here runs on SQLite and on PostgreSQL.

PostgreSQL: one throw-away database per test session (``switchboard_test_<hex>``)
on the server named by ``SWITCHBOARD_TEST_PG_URL`` (default: postgres on
127.0.0.1:5432), with its ``public`` schema emptied before each test. An
unreachable server FAILS the postgres variants: CI starts PostgreSQL, and a
silently skipped half of the suite would hide regressions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lab.pgdb import libpq, server_for_tests, throwaway_database
from lab.schema_copy import upgrade_to_head
from store import migrate
from store.db import make_engine, session_factory


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return server_for_tests()


@pytest.fixture(scope="session")
def pg_database_url(pg_server_url: str) -> Iterator[str]:
    yield from throwaway_pg_database(pg_server_url, "switchboard_test")


def throwaway_pg_database(server: str, prefix: str) -> Iterator[str]:
    """A fixture's throw-away database (``lab.pgdb``); an unreachable server fails the test."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database(server, prefix))
        except psycopg.OperationalError as exc:
            pytest.fail(
                f"PostgreSQL is not reachable at {migrate.display_url(server)} ({exc}). "
                "Start it (scripts/test does) or point SWITCHBOARD_TEST_PG_URL at a server.",
                pytrace=False,
            )
        yield url


def _empty_pg_schema(url: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
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
