"""The node lease of runners with a standby (``runner_leases``; PostgreSQL only).

One row per node. Taking it (:func:`acquire`) succeeds when nobody holds it, it
expired by the database's clock, or we held it; each taking bumps ``token``, the
fencing token. The holder renews it (:func:`renew`) and checks its token inside
every write that matters (:func:`fence`: lead claims, facts such as attempts,
desk commands), so a runner that was taken over cannot write one more row:
``FOR SHARE`` makes a takeover wait for a fenced write in progress, and that
write's rows are then there for the new holder's recovery to read.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from orchestrator.node.lease import LeaseLost
from store.models import RunnerLease

#: Why a node on SQLite cannot have a standby runner (the runner and the admin page say it alike).
NEEDS_POSTGRES = (
    "a standby runner needs PostgreSQL: on SQLite a node has exactly one runner "
    "(turn the node's standby setting off)"
)


def possible(dialect_name: str) -> bool:
    """Whether a database of this dialect can hold runner leases (row locks, ``ON CONFLICT``, its clock)."""
    return dialect_name == "postgresql"


def acquire(session: Session, node_id: int, holder: str, ttl_s: float) -> int | None:
    """Take the node's lease for ``holder`` if it is free, expired or already theirs: the new token."""
    expires = func.now() + timedelta(seconds=ttl_s)
    row = RunnerLease.__table__.c
    stmt = insert(RunnerLease).values(node_id=node_id, holder=holder, token=1, expires_at=expires)
    taken = stmt.on_conflict_do_update(
        index_elements=[row.node_id],
        set_={"holder": holder, "token": row.token + 1, "expires_at": expires},
        where=(row.expires_at < func.now()) | (row.holder == holder),
    ).returning(row.token)
    return session.scalar(taken)


def renew(session: Session, node_id: int, token: int, ttl_s: float) -> bool:
    """Extend the lease ``token`` from the database's now; False when another runner has taken it."""
    stmt = (
        update(RunnerLease)
        .where(RunnerLease.node_id == node_id, RunnerLease.token == token)
        .values(expires_at=func.now() + timedelta(seconds=ttl_s))
        .returning(RunnerLease.token)
    )
    return session.scalar(stmt, execution_options={"synchronize_session": False}) is not None


def release(session: Session, node_id: int, token: int) -> None:
    """Let the standby take over at once (a clean stop): the lease expires now if still ours."""
    session.execute(
        update(RunnerLease)
        .where(RunnerLease.node_id == node_id, RunnerLease.token == token)
        .values(expires_at=func.now() - timedelta(seconds=1)),
        execution_options={"synchronize_session": False},
    )


def held(session: Session, node_id: int) -> bool:
    """Whether some runner holds the node's lease now (by the database's clock)."""
    return (
        session.scalar(
            select(RunnerLease.token).where(
                RunnerLease.node_id == node_id, RunnerLease.expires_at > func.now()
            )
        )
        is not None
    )


def fence(session: Session, node_id: int, token: int) -> None:
    """Raise :class:`LeaseLost` unless ``token`` still holds the node (the row locked until commit)."""
    held = session.scalar(
        select(RunnerLease.token).where(RunnerLease.node_id == node_id).with_for_update(read=True)
    )
    if held != token:
        raise LeaseLost(f"node {node_id}: lease {token} was taken over (now {held})")
