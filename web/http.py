"""Small helpers shared by the views."""

from __future__ import annotations

from typing import TypeVar

from flask import abort

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
        return int(raw)
    except ValueError:
        abort(400)
