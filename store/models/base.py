"""Declarative base shared by every model.

The naming convention gives every constraint and index a deterministic name,
so Alembic can drop or alter it later (SQLite batch mode needs names too) and
autogenerate produces the same migration on every machine.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import UtcDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    """Mixin: creation time, set by the database so raw SQL imports get it too."""

    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, server_default=func.now())
