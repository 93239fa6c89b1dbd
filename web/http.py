"""Small helpers shared by the views."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from flask import Response, abort, flash, redirect, url_for

from web.db import db

T = TypeVar("T")


def get_or_404(model: type[T], ident: object) -> T:
    obj = db().get(model, ident)
    if obj is None:
        abort(404)
    return obj


def int_or_none(raw: str | None) -> int | None:
    """A form/query value as an int; empty means 'not given'. Bad input is a 400."""
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"not a whole number: {raw[:32]!r}")
    if not -_INT64 <= value < _INT64:  # the databases' integers are 64-bit
        abort(400, f"number out of range: {raw[:32]!r}")
    return value


_INT64 = 2**63

#: Days a user may ask for. Wide enough for any call or report, narrow enough that
#: adding a day or a time-zone offset never leaves the range of Python's dates.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def day_or_none(raw: str | None, what: str) -> date | None:
    """An ISO date from a form or query; empty means 'not given'. Bad or far-off dates are a 400."""
    if raw is None or raw.strip() == "":
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        abort(400, f"{what}: not a date (YYYY-MM-DD): {raw[:32]!r}")
    return in_range(day, what)


def in_range(day: date, what: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(400, f"{what}: give a date between {FIRST_DAY} and {LAST_DAY}")
    return day


def bounded_int(raw: str | None, what: str, low: int, high: int, default: int) -> int:
    """An int query value within ``low..high`` (empty: ``default``); anything else is a 400."""
    value = int_or_none(raw)
    if value is None:
        return default
    if not low <= value <= high:
        abort(400, f"{what} must be between {low} and {high}")
    return value


def finish(endpoint: str, error: Exception | str | None = None, ok: str = "", **values: Any) -> Response:
    """The end of a form post: roll back and flash the error, or commit and flash ``ok``; then back to
    ``endpoint`` (post/redirect/get, so a reload never posts twice)."""
    session = db()
    if error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        if ok:
            flash(ok, "ok")
    return redirect(url_for(endpoint, **values))  # type: ignore[return-value]
