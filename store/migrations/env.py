"""Alembic environment, driven by ``store.migrate`` (no alembic.ini).

The caller passes an open connection in ``config.attributes["connection"]``;
the ``alembic`` command line also works with ``-x url=...``.

SQLite cannot ALTER most things, so every operation runs in batch mode there
(copy-and-move). Our custom column types are rendered as their plain
SQLAlchemy equivalents so that revisions never import application code.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from store.db import make_engine
from store.migrate import AUTOGENERATE_OPTIONS
from store.models import Base


def _configure(**kwargs: Any) -> None:
    context.configure(target_metadata=Base.metadata, **AUTOGENERATE_OPTIONS, **kwargs)


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database to migrate: pass a connection, or -x url=... to alembic")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: Any) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
