"""The core counts epoch seconds (floats); the store keeps aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def to_dt(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def to_dt_or_none(at: float | None) -> datetime | None:
    return None if at is None else to_dt(at)


def to_epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()
