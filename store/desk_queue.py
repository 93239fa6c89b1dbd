"""The web-to-runner queue of desk requests (the database is the bus).

The web adds a ``DeskRequest`` row with :func:`enqueue`; runners take it with
:func:`take`, which hands each request to exactly one runner (``FOR UPDATE SKIP
LOCKED`` as for leads), then :func:`finish`. On PostgreSQL :func:`enqueue` also
sends ``NOTIFY`` on :data:`CHANNEL` (delivered at commit, never for a request
rolled back) with the node's id, so the node's runner (``runner.wakeup``) takes it
within milliseconds; runners still poll every ``RunnerOptions.poll_s`` (a quarter
of a second), the only path on SQLite and the fallback while a listener reconnects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from store.enums import DeskRequestStatus
from store.models import DeskRequest

#: The PostgreSQL notification channel of new desk requests; the payload is :func:`wakes`' node id.
CHANNEL = "switchboard_desk"


def enqueue(session: Session, request: DeskRequest) -> DeskRequest:
    """Add ``request`` (flushed, so it has its id); a runner takes it once the caller commits."""
    session.add(request)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        payload = str(request.node_id) if request.node_id is not None else ""
        session.execute(select(func.pg_notify(CHANNEL, payload)))
    return request


def wakes(payload: str, node_id: int) -> bool:
    """Whether a notification on :data:`CHANNEL` is for the runner of ``node_id`` (its node, or any)."""
    return payload in ("", str(node_id))


def take(session: Session, node_id: int, limit: int, now: datetime, *, taken_by: str) -> list[DeskRequest]:
    """Up to ``limit`` pending commands for this node (or for any node), oldest first."""
    if limit <= 0:
        return []
    pending = (
        select(DeskRequest.id)
        .where(
            # a literal, like the lead statuses, so the partial index serves generic plans too
            DeskRequest.status == bindparam("pending", DeskRequestStatus.PENDING.value, literal_execute=True),
            or_(DeskRequest.node_id == node_id, DeskRequest.node_id.is_(None)),
        )
        .order_by(DeskRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = (
        update(DeskRequest)
        .where(DeskRequest.id.in_(pending.scalar_subquery()))
        .values(status=DeskRequestStatus.TAKEN, taken_by=taken_by, taken_at=now)
        .returning(DeskRequest)
    )
    options = {"populate_existing": True, "synchronize_session": False}
    return sorted(session.scalars(taken, execution_options=options), key=lambda c: c.id)


def finish(session: Session, command: DeskRequest, now: datetime, error: str = "") -> None:
    """Record the result: ``done``, or ``failed`` with the reason shown to the user."""
    command.status = DeskRequestStatus.FAILED if error else DeskRequestStatus.DONE
    command.error = error
    command.done_at = now
    session.flush()
