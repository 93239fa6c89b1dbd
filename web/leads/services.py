"""Lead import into the database (staging list, then activation) and DNC list operations.

An import either makes every accepted row dialable or none: the rows go into
an inactive staging list in short transactions (a large file never holds the
database's write lock for long), and one last step activates them; any failure
deletes the staging list instead. Rows are rejected *before* that (bad number,
duplicate, DNC) and listed in the error report; rejecting a row is not a failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Result, Table, delete, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store import dnc
from store.enums import DIALABLE_LEAD_STATUSES, LeadStatus
from store.models import DncEntry, Lead, LeadList
from store.types import utcnow
from web.auth.roles import campaigns_within
from web.leads.importer import Mapping, Prepared, Problem, normalise, prepare

T = TypeVar("T")
#: Rows per write transaction: ~1 000 rows hold SQLite's write lock for tens of milliseconds.
CHUNK = 1000
#: Numbers per ``IN (...)`` list: well under PostgreSQL's 65 535 bound parameters a statement.
IN_CHUNK = 5000


def visible_lists(session: Session, teams: frozenset[int] | None) -> list[LeadList]:
    """Lead lists (not being imported) in a scope (``team_scope``): a team leader's are the lists of the
    campaigns their teams work (``campaign_teams``) and those handed to their teams; None: all."""
    scope = true() if teams is None else or_(LeadList.campaign.has(campaigns_within(teams)),
                                             LeadList.team_id.in_(teams))
    query = select(LeadList).where(~LeadList.importing, scope).order_by(LeadList.name)
    return list(session.scalars(query))


def existing_phones(session: Session, list_id: int) -> set[str]:
    return set(session.scalars(select(Lead.phone).where(Lead.list_id == list_id)))


def purchase_phones(session: Session, purchase_id: int) -> set[str]:
    """Every number a bought batch holds already, in any of its lists (imports, hand-outs, sample)."""
    lists = select(LeadList.id).where(LeadList.purchase_id == purchase_id)
    return set(session.scalars(select(Lead.phone).where(Lead.list_id.in_(lists))))


def dnc_phones(session: Session, campaign_id: int | None, now: datetime) -> set[str]:
    """Numbers not to load for this campaign: global entries plus the campaign's own, unexpired."""
    return set(session.scalars(select(DncEntry.phone).where(dnc.in_force(campaign_id, now))))


def insert_leads(
    sessions: sessionmaker[Session],
    list_id: int,
    campaign_id: int | None,
    prepared: Prepared,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert the prepared rows into a staging list, one short transaction per chunk.

    Each chunk holds the write lock (SQLite) for a few milliseconds, so the
    dialer's and the agents' writes get in between; the list is not active
    yet, so no runner claims a lead of a half-loaded file. PostgreSQL gets
    ``COPY`` (several times faster than multi-row INSERTs), SQLite
    ``executemany``.
    """
    now = utcnow()
    fixed = {
        "list_id": list_id,
        "campaign_id": campaign_id,
        "status": LeadStatus.NEW.value,
        "priority": 0,
        "attempts": 0,
        "next_call_at": now,
        "created_at": now,
        "updated_at": now,
    }
    done = 0
    for chunk in _chunks(prepared.rows, CHUNK):
        with sessions.begin() as session:
            write = _copy_chunk if session.get_bind().dialect.name == "postgresql" else _insert_chunk
            write(session, [{**row, **fixed} for row in chunk])
        done += len(chunk)
        if progress is not None:
            progress(done)
    return done


class DuplicateImport(ValueError):
    """This upload was imported already (or is being imported right now)."""


@dataclass(frozen=True)
class Target:
    """Where an import goes: an existing list (``list_id``) or a new one named ``name``."""

    list_id: int | None
    name: str
    campaign_id: int | None
    source: str
    purchase_id: int | None = None


def open_staging(sessions: sessionmaker[Session], target: Target, key: str) -> int:
    """A new inactive list to load into; a second import of the same upload is refused here.

    ``import_key`` is unique, so of two concurrent runs of one upload only one
    gets its staging list; the other stops before writing a lead.
    """
    try:
        with sessions.begin() as session:
            staging = LeadList(
                name=target.name,
                campaign_id=target.campaign_id,
                source=target.source[:255],
                active=False,
                importing=True,
                import_key=key,
                purchase_id=target.purchase_id,
            )
            session.add(staging)
            session.flush()
            return staging.id
    except IntegrityError:
        with sessions() as session:
            name = session.scalar(select(LeadList.name).where(LeadList.import_key == key))
        raise DuplicateImport(f"this file was already imported into the list {name!r}") from None


def activate(sessions: sessionmaker[Session], staging_id: int, target_id: int | None) -> int:
    """Make the loaded rows dialable; returns the list that now holds them.

    A new list is one UPDATE of one row. Rows added to an existing list move
    over in chunks (each a short transaction), then the staging list goes.
    """
    if target_id is None:
        with sessions.begin() as session:
            session.execute(
                update(LeadList).where(LeadList.id == staging_id).values(importing=False, active=True)
            )
        return staging_id
    while True:
        with sessions.begin() as session:
            ids = select(Lead.id).where(Lead.list_id == staging_id).limit(CHUNK).scalar_subquery()
            moved = _affected(session.execute(update(Lead).where(Lead.id.in_(ids)).values(list_id=target_id)))
        if not moved:
            break
    with sessions.begin() as session:
        session.execute(delete(LeadList).where(LeadList.id == staging_id))
    return target_id


def discard(sessions: sessionmaker[Session], staging_id: int) -> None:
    """Remove a staging list and what was loaded into it, in short transactions."""
    while True:
        with sessions.begin() as session:
            ids = select(Lead.id).where(Lead.list_id == staging_id).limit(CHUNK).scalar_subquery()
            if not _affected(session.execute(delete(Lead).where(Lead.id.in_(ids)))):
                break
    with sessions.begin() as session:
        session.execute(delete(LeadList).where(LeadList.id == staging_id, LeadList.importing))


def discard_abandoned(sessions: sessionmaker[Session], older_than: timedelta) -> int:
    """Staging lists left by a web process that died mid-import (none is still loading after this long)."""
    with sessions() as session:
        ids = list(
            session.scalars(
                select(LeadList.id).where(LeadList.importing, LeadList.created_at < utcnow() - older_than)
            )
        )
    for staging_id in ids:
        discard(sessions, staging_id)
    return len(ids)


_COLUMNS = (
    "list_id",
    "campaign_id",
    "phone",
    "timezone",
    "external_ref",
    "fields",
    "status",
    "priority",
    "attempts",
    "next_call_at",
    "created_at",
    "updated_at",
)


def _affected(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched: its result is a CursorResult, which ``Session.execute`` is not
    typed to return."""
    return cast(CursorResult[Any], result).rowcount


def _copy_chunk(session: Session, rows: list[dict[str, object]]) -> None:
    driver = session.connection().connection.driver_connection
    if driver is None:  # only a connection detached from its pool has none
        raise RuntimeError("no database driver connection to COPY into")
    cursor = driver.cursor()
    with cursor.copy(f"COPY leads ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c == "fields" else row[c] for c in _COLUMNS])


def _insert_chunk(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(insert(cast(Table, Lead.__table__)), rows)


def _chunks(rows: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


class DncError(ValueError):
    pass


def add_dnc(
    session: Session, raw_phone: str, region: str, campaign_id: int | None, reason: str, user_id: int | None
) -> DncEntry:
    result = normalise(raw_phone, region)
    if isinstance(result, str):
        raise DncError(f"{raw_phone!r}: {result}")
    scope = DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id
    if session.scalar(select(DncEntry.id).where(DncEntry.phone == result.phone, scope)):
        raise DncError(f"{result.phone} is already on that DNC list")
    entry = DncEntry(phone=result.phone, campaign_id=campaign_id, reason=reason[:255], created_by_id=user_id)
    session.add(entry)
    # Leads not yet dialed are taken out of the pool now, not only at the next import.
    lead_scope = [Lead.phone == result.phone, Lead.status.in_(DIALABLE_LEAD_STATUSES)]
    if campaign_id is not None:
        lead_scope.append(Lead.campaign_id == campaign_id)
    for lead in session.scalars(select(Lead).where(*lead_scope)):
        lead.status = LeadStatus.DNC
    session.flush()
    return entry


@dataclass(frozen=True)
class DncImport:
    added: int
    already: int
    problems: list[Problem]


def import_dnc(
    sessions: sessionmaker[Session],
    rows: Iterable[tuple[int, list[str]]],
    phone_column: int,
    region: str,
    campaign_id: int | None,
    reason: str,
    user_id: int | None,
    progress: Callable[[int, int], None] | None = None,
) -> DncImport:
    """Add every valid number of a file to a DNC list; pending leads with those numbers become DNC.

    One short transaction per chunk of numbers (a large file never holds the
    write lock for long), and no statement with more parameters than
    PostgreSQL takes. Numbers already listed are skipped, so uploading the
    file again after a failure finishes the job.
    """
    prepared = prepare(rows, Mapping(phone=phone_column), region)
    phones = sorted({str(row["phone"]) for row in prepared.rows})
    scope = DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id
    added = already = done = 0
    for part in _chunks(phones, IN_CHUNK):
        with sessions.begin() as session:
            known = set(session.scalars(select(DncEntry.phone).where(scope, DncEntry.phone.in_(part))))
            new = [p for p in part if p not in known]
            if new:
                now = utcnow()
                session.execute(
                    insert(cast(Table, DncEntry.__table__)),
                    [
                        {
                            "phone": p,
                            "campaign_id": campaign_id,
                            "reason": reason[:255],
                            "source": "upload",
                            "created_by_id": user_id,
                            "created_at": now,
                        }
                        for p in new
                    ],
                )
                lead_scope: list[ColumnElement[bool]] = [
                    Lead.phone.in_(new), Lead.status.in_(DIALABLE_LEAD_STATUSES)]
                if campaign_id is not None:
                    lead_scope.append(Lead.campaign_id == campaign_id)
                session.execute(
                    update(Lead).where(*lead_scope).values(status=LeadStatus.DNC),
                    execution_options={"synchronize_session": False},
                )
        added, already, done = added + len(new), already + len(known), done + len(part)
        if progress is not None:
            progress(done, len(phones))
    return DncImport(added, already, [p for p in prepared.problems if p.reason != "duplicate number"])


def remove_dnc(session: Session, entry_id: int) -> str | None:
    phone = session.scalar(select(DncEntry.phone).where(DncEntry.id == entry_id))
    session.execute(delete(DncEntry).where(DncEntry.id == entry_id))
    return phone
