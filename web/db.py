"""One SQLAlchemy session per request, opened lazily and always closed.

Views and services call ``db()``; services commit explicitly (commit first,
then talk to the PBX), and anything left uncommitted when the request ends is
rolled back, so a failed request never leaves half its writes behind.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, session_factory
from store.sealing import Sealer

#: PostgreSQL's JIT compiles a query once its estimated cost passes ``jit_above_cost``: the reports'
#: aggregates over a month of attempts paid 100-200 ms of compiling per query (EXPLAIN ANALYZE: "JIT
#: ... Total 198.9 ms" of 2.3 s), more than the compiled code saved; a page's queries never run long
#: enough to win it back. Off for the web's connections, whatever the server's default.
PG_CONNECT_ARGS = {"options": "-c jit=off"}


def init_app(app: Flask, url: str, sealer: Sealer) -> None:
    app.extensions["sb_sealer"] = sealer
    engine = make_engine(url, **({} if make_url(url).get_backend_name() == "sqlite"
                                 else {"connect_args": PG_CONNECT_ARGS}))
    app.extensions["sb_engine"] = engine
    app.extensions["sb_sessions"] = session_factory(engine)
    app.teardown_appcontext(_close)


def sessions() -> sessionmaker[Session]:
    return sessions_of(current_app)


def sessions_of(app: Flask) -> sessionmaker[Session]:
    return app.extensions["sb_sessions"]


def sealer() -> Sealer:
    """Opens and seals the stored seat and node secrets (``store.sealing``)."""
    return current_app.extensions["sb_sealer"]


def db() -> Session:
    if "db_session" not in g:
        g.db_session = sessions()()
    return g.db_session


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back whatever was not committed


def release() -> None:
    """Close the request's session now, not when the request ends: a long streamed response (a live
    page's events) must not keep a pooled connection for minutes."""
    _close(None)
