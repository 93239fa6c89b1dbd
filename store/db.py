"""Engine and session factory for SQLite (one box) and PostgreSQL (several nodes).

Usage::

    engine = make_engine(settings.sqlalchemy_url)
    Session = session_factory(engine)
    with Session.begin() as session:
        ...

SQLite is tuned for one writer process plus readers (WAL, a busy timeout so
the web waits for the runner's short write transactions instead of failing,
foreign keys enforced as on PostgreSQL). PostgreSQL always goes through
psycopg 3, whatever spelling the URL uses.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str | URL) -> URL:
    """Map ``postgres://`` / ``postgresql://`` (and other drivers) onto psycopg 3."""
    parsed = make_url(url)
    if parsed.get_backend_name() in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        _private_file(Path(parsed.database))
    engine = create_engine(parsed, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_file(path: Path) -> None:
    """Create the SQLite file owner-only (0600, in a 0700 directory if we make it) before SQLite opens it.

    It holds users' password hashes, seat secrets and leads' personal data; SQLite gives
    its -wal and -shm files the database file's mode, so they stay private too.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Only ever a new file (O_EXCL): opening and closing an existing one would drop the POSIX
    # locks this process's SQLite connections hold on it (SQLite's documented pitfall).
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the web renders after committing)."""
    return sessionmaker(engine, expire_on_commit=False)
