"""Column types that behave the same on SQLite and PostgreSQL.

Why these exist:

* ``UtcDateTime``: SQLite has no time zones and hands back naive datetimes;
  PostgreSQL returns aware ones in the session time zone. The application only
  ever sees aware UTC values, and refuses to store a naive one (a naive
  "local" time in a call centre spanning time zones is a compliance bug).
* ``StrEnumType``: enums are stored as plain strings (no native PostgreSQL
  ENUM, no CHECK constraint), so adding a value never needs a migration and the
  schema is identical on both databases; Python validates on write.
* ``BigId``: 64-bit keys on PostgreSQL for the tables that grow (leads,
  attempts, calls, logs); SQLite only auto-increments ``INTEGER PRIMARY KEY``.
* ``JsonType``: ``JSONB`` on PostgreSQL (indexable, compact), JSON text on SQLite.

Migrations render these as their plain SQLAlchemy implementation (see
``migrations/env.py``) so a revision never imports application code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        # SQLite keeps the text it is given: store naive UTC so that string
        # comparison in SQL (``next_call_at <= ?``) orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnumType(TypeDecorator[StrEnum]):
    """A ``StrEnum`` stored as its value in a ``VARCHAR``."""

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum], length: int = 16) -> None:
        longest = max(len(member.value) for member in enum_cls)
        if longest > length:
            raise ValueError(f"{enum_cls.__name__} has a value longer than {length}")
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value  # raises ValueError on an unknown value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_cls(value)

    @property
    def python_type(self) -> type[StrEnum]:
        return self.enum_cls


BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")
