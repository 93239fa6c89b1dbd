"""Lead import into the database (one transaction) and DNC list operations.

An import either inserts every accepted row or nothing: the rows go in with
multi-row INSERTs inside a single transaction, and any failure rolls it all
back. Rows are rejected *before* that (bad number, duplicate, DNC) and listed
in the error report; rejecting a row is not a failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from orchestrator.store.enums import DIALABLE_LEAD_STATUSES, LeadStatus
from orchestrator.store.models import DncEntry, Lead, LeadList
from orchestrator.store.types import utcnow
from web.leads.importer import Mapping, Prepared, Problem, normalise, prepare

CHUNK = 5000


def existing_phones(session: Session, list_id: int) -> set[str]:
    return set(session.scalars(select(Lead.phone).where(Lead.list_id == list_id)))


def dnc_phones(session: Session, campaign_id: int | None, now: datetime) -> set[str]:
    """Numbers not to load for this campaign: global entries plus the campaign's own, unexpired."""
    scope = DncEntry.campaign_id.is_(None)
    if campaign_id is not None:
        scope = or_(scope, DncEntry.campaign_id == campaign_id)
    query = select(DncEntry.phone).where(scope, or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > now))
    return set(session.scalars(query))


def insert_leads(
    session: Session, lead_list: LeadList, prepared: Prepared, progress: Callable[[int], None] | None = None
) -> int:
    """Insert the prepared rows into the list (caller commits, or rolls back on error).

    PostgreSQL gets ``COPY`` (several times faster than multi-row INSERTs for
    100 000 rows); SQLite gets ``executemany``. Both run in the session's
    transaction.
    """
    now = utcnow()
    fixed = {
        "list_id": lead_list.id,
        "campaign_id": lead_list.campaign_id,
        "status": LeadStatus.NEW.value,
        "priority": 0,
        "attempts": 0,
        "next_call_at": now,
        "created_at": now,
        "updated_at": now,
    }
    write = _copy_chunk if session.get_bind().dialect.name == "postgresql" else _insert_chunk
    done = 0
    for chunk in _chunks(prepared.rows, CHUNK):
        write(session, [{**row, **fixed} for row in chunk])
        done += len(chunk)
        if progress is not None:
            progress(done)
    return done


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


def _copy_chunk(session: Session, rows: list[dict[str, object]]) -> None:
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY leads ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c == "fields" else row[c] for c in _COLUMNS])


def _insert_chunk(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(insert(Lead.__table__), rows)


def _chunks(rows: list[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
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
    session: Session,
    rows: Iterable[tuple[int, list[str]]],
    phone_column: int,
    region: str,
    campaign_id: int | None,
    reason: str,
    user_id: int | None,
) -> DncImport:
    """Add every valid number of a file to a DNC list; pending leads with those numbers become DNC."""
    prepared = prepare(rows, Mapping(phone=phone_column), region)
    phones = {row["phone"] for row in prepared.rows}
    scope = DncEntry.campaign_id.is_(None) if campaign_id is None else DncEntry.campaign_id == campaign_id
    known = (
        set(session.scalars(select(DncEntry.phone).where(scope, DncEntry.phone.in_(phones))))
        if phones
        else set()
    )
    new = sorted(phones - known)
    session.add_all(
        DncEntry(
            phone=p, campaign_id=campaign_id, reason=reason[:255], source="upload", created_by_id=user_id
        )
        for p in new
    )
    lead_scope = [Lead.phone.in_(new), Lead.status.in_(DIALABLE_LEAD_STATUSES)]
    if campaign_id is not None:
        lead_scope.append(Lead.campaign_id == campaign_id)
    if new:
        session.execute(update(Lead).where(*lead_scope).values(status=LeadStatus.DNC))
    session.flush()
    return DncImport(len(new), len(known), [p for p in prepared.problems if p.reason != "duplicate number"])


def remove_dnc(session: Session, entry_id: int) -> str | None:
    phone = session.scalar(select(DncEntry.phone).where(DncEntry.id == entry_id))
    session.execute(delete(DncEntry).where(DncEntry.id == entry_id))
    return phone
