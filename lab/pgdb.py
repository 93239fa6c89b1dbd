"""Throw-away PostgreSQL databases for the tests and benchmarks, on the server ``SWITCHBOARD_TEST_PG_URL``
names (``scripts/postgres-for-tests``): created empty, dropped afterwards even with sessions still open."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy import make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_for_tests() -> str:
    """The server the tests and benchmarks use."""
    return os.environ.get("SWITCHBOARD_TEST_PG_URL", DEFAULT_SERVER)


def libpq(url: str) -> str:
    """A SQLAlchemy-style URL as a libpq conninfo URL (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_database(server: str, prefix: str) -> Iterator[str]:
    """A new database ``<prefix>_<hex>`` on ``server``: its URL (psycopg 3); dropped on the way out."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq(server), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
                hide_password=False)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def recreate(server: str, url: str) -> None:
    """Drop the database of ``url`` (ending its sessions) and create it again, empty: a lost database and
    the new one it is restored into."""
    name = sql.Identifier(make_url(url).database or "")
    with psycopg.connect(libpq(server), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
