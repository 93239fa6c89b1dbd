"""The web-to-runner command queue (the database is the bus).

The web adds a ``Command`` row with :func:`enqueue`; on PostgreSQL that also
sends ``NOTIFY switchboard_commands`` (delivered at commit, so a runner never
wakes up before the row is visible). Runners ``LISTEN`` on that channel, or
poll on SQLite, and call :func:`take` which hands each command to exactly one
runner (``FOR UPDATE SKIP LOCKED`` as for leads), then :func:`finish`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from store.enums import CommandStatus
from store.models import Command

NOTIFY_CHANNEL = "switchboard_commands"


def enqueue(session: Session, command: Command) -> Command:
    session.add(command)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, str(command.node_id or ""))))
    return command


def take(session: Session, node_id: int, limit: int, now: datetime, *, taken_by: str) -> list[Command]:
    """Up to ``limit`` pending commands for this node (or for any node), oldest first."""
    if limit <= 0:
        return []
    pending = (
        select(Command.id)
        .where(
            # a literal, like the lead statuses, so the partial index serves generic plans too
            Command.status == bindparam("pending", CommandStatus.PENDING.value, literal_execute=True),
            or_(Command.node_id == node_id, Command.node_id.is_(None)),
        )
        .order_by(Command.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = (
        update(Command)
        .where(Command.id.in_(pending.scalar_subquery()))
        .values(status=CommandStatus.TAKEN, taken_by=taken_by, taken_at=now)
        .returning(Command)
    )
    options = {"populate_existing": True, "synchronize_session": False}
    return sorted(session.scalars(taken, execution_options=options), key=lambda c: c.id)


def finish(session: Session, command: Command, now: datetime, error: str = "") -> None:
    """Record the result: ``done``, or ``failed`` with the reason shown to the user."""
    command.status = CommandStatus.FAILED if error else CommandStatus.DONE
    command.error = error
    command.done_at = now
    session.flush()
