"""Statements over 100 000 leads at a time (hand-outs, destruction), written so PostgreSQL plans them well.

``set_each``: one UPDATE that gives each row its own value. PostgreSQL gets
one statement joining two unnested arrays (ids, values): a 100 k-row wipe in
one round trip instead of 100 k. SQLite, where the data is small and the
round trips free, gets an executemany by primary key.

``set_same``: one UPDATE of the same values on many rows named by id.

``id_among``: ``id IN (subquery)`` that PostgreSQL runs as primary-key probes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from store.models import Base

#: Ids per ``IN (...)`` list of the SQLite path.
IN_CHUNK = 5000


def set_each(
    session: Session,
    model: type[Base],
    column: str,
    pairs: Sequence[tuple[int, Any]],
    value_type: TypeEngine[Any],
    **same: Any,
) -> None:
    """``UPDATE model SET column = <its value>, **same WHERE id = <its id>`` for every (id, value) pair;
    ``same`` may hold SQL expressions (the same for every row)."""
    if not pairs:
        return
    table: Any = model
    ids = [i for i, _ in pairs]
    if session.get_bind().dialect.name == "postgresql":
        rows = select(
            func.unnest(bindparam("ids", ids, type_=ARRAY(BigInteger))).label("id"),
            func.unnest(bindparam("values", [v for _, v in pairs], type_=ARRAY(value_type))).label("value"),
        ).subquery()
        session.execute(
            update(table).where(table.id == rows.c.id).values({column: rows.c.value, **same}),
            execution_options={"synchronize_session": False},
        )
        return
    if same:
        set_same(session, model, ids, **same)
    session.execute(update(table), [{"id": i, column: v} for i, v in pairs])


def set_same(session: Session, model: type[Base], ids: Sequence[int], **values: Any) -> None:
    """``UPDATE model SET **values WHERE id IN ids``: on PostgreSQL one statement with the ids as one
    array parameter; on SQLite ``IN`` lists of ``IN_CHUNK`` ids (its bound-parameter limit)."""
    table: Any = model
    bulk = {"synchronize_session": False}
    if session.get_bind().dialect.name == "postgresql":
        if ids:
            everyone = table.id == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger)))
            session.execute(update(table).where(everyone).values(**values), execution_options=bulk)
        return
    for start in range(0, len(ids), IN_CHUNK):
        where: ColumnElement[bool] = table.id.in_(ids[start : start + IN_CHUNK])
        session.execute(update(table).where(where).values(**values), execution_options=bulk)


def id_among(session: Session, column: Any, ids: Select[tuple[int]]) -> ColumnElement[bool]:
    """``column IN (ids)``; on PostgreSQL ``column = ANY(ARRAY(ids))``.

    A hand-out moves the first few thousand of a million leads. Written as
    ``IN (subquery)`` PostgreSQL estimates the semi-join from table statistics
    and hashes the whole leads table (a sequential scan of 1 M rows per
    hand-out, most of its time); an array of the chosen ids is probed through
    the primary key, row by row, whatever the table holds.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids.scalar_subquery())
