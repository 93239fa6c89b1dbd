"""Run Alembic programmatically: ``switchboard db upgrade`` and the test suite use this.

No ``alembic.ini``: the script location is this package's ``migrations``
directory, so an installed wheel migrates exactly like a checkout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Connection

from store.db import make_engine, normalize_url
from store.models import Base
from store.models.knowledge import is_search_index
from store.sealing import Sealer
from store.types import StrEnumType, UtcDateTime

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write our custom column types into revisions as plain SQLAlchemy types."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"  # its String's (a TypeDecorator passes attributes on)
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the knowledge base's search index to its migration: SQLite's FTS5 tables and PostgreSQL's
    trigram index are no model (``store.models.knowledge``), so autogenerate must not drop them."""
    return not (type_ in ("table", "index") and is_search_index(name))


#: How env.py configures autogenerate, shared with ``diff`` so that a check
#: sees exactly what ``alembic revision --autogenerate`` would.
AUTOGENERATE_OPTIONS: dict[str, Any] = {"render_item": render_item, "compare_type": True,
                                        "include_name": include_name}


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


@contextmanager
def _migration_connection(url: str | URL) -> Iterator[Connection]:
    """A connection for DDL; on SQLite with foreign keys off while tables are rebuilt.

    SQLite batch migrations copy a table, drop the original and rename: with
    ``foreign_keys=ON`` the drop would cascade or fail. The pragma is ignored
    inside a transaction, so it is set before Alembic begins one.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            yield connection
            connection.commit()
    finally:
        engine.dispose()


#: Alembic's ``op`` and ``context`` are module-level proxies: two migrations at once in one process
#: (the messaging bench upgrades its fax and SMS databases from two threads) would swap each other's
#: connection mid-run ("no such table", "This Connection is closed"). One at a time per process.
_ONE_AT_A_TIME = threading.Lock()


def _run(url: str | URL, action: Callable[..., None], *args: str, sealer: Sealer | None = None) -> None:
    config = alembic_config()
    with _ONE_AT_A_TIME, _migration_connection(url) as connection:
        config.attributes["connection"] = connection
        # Revisions that seal or open stored secrets (0016) take it from here: a database holding
        # secrets cannot pass them without the instance's key.
        config.attributes["sealer"] = sealer
        action(config, *args)


def upgrade(url: str | URL, revision: str = "head", *, sealer: Sealer | None = None) -> None:
    _run(url, command.upgrade, revision, sealer=sealer)


def downgrade(url: str | URL, revision: str, *, sealer: Sealer | None = None) -> None:
    _run(url, command.downgrade, revision, sealer=sealer)


def current(url: str | URL) -> str | None:
    """The revision the database is at (None for an empty database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def diff(url: str | URL) -> list[Any]:
    """What autogenerate would change to make the database match the models ([] when in sync)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=AUTOGENERATE_OPTIONS)
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def display_url(url: str | URL) -> str:
    """The URL with its password masked, for messages and logs."""
    return normalize_url(url).render_as_string(hide_password=True)
