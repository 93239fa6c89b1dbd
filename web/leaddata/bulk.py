"""One UPDATE that gives each row its own value, for the 100 000-row steps of destruction.

PostgreSQL gets one statement joining two unnested arrays (ids, values): a
100 k-row wipe in one round trip instead of 100 k. SQLite, where the data is
small and the round trips free, gets an executemany by primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, func, select, update
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
        for start in range(0, len(ids), IN_CHUNK):
            where: ColumnElement[bool] = table.id.in_(ids[start : start + IN_CHUNK])
            session.execute(
                update(table).where(where).values(**same), execution_options={"synchronize_session": False}
            )
    session.execute(update(table), [{"id": i, column: v} for i, v in pairs])
