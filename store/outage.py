"""Telling a database outage from a database error, for every process that rides outages out.

An outage (the server unreachable or restarting, SQLite's write lock held by an
import, a connection the driver found dead) is waited out with backoff; any
other error is a bug or bad data and must still surface. The runner, the
scheduler and the readiness probe all ask here, so they agree on which is which.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

#: Words of a driver error about the connection itself (psycopg reports a socket closed under a
#: pool ping as a ProgrammingError "can't change 'autocommit' now: connection in transaction ...").
CONNECTION_WORDS = ("connection", "socket", "server closed", "terminat")


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached or was busy (as opposed to rejecting our data)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    text = str(exc.orig).lower()
    return bool(exc.connection_invalidated) or any(word in text for word in CONNECTION_WORDS)


def describe(exc: BaseException) -> str:
    """The driver's first line (no URL, SQL or parameters): enough to tell an outage from a lock."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else 'unreachable'}"
