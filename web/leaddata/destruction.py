"""Destroying used-up or expired batches: personal data wiped, history kept, a certificate chained.

The rows stay (attempts, calls, orders and reports point at them, and the
sales and commission totals must not move): what goes is what names a person.
Leads keep their status and counts but lose their number (a keyed hash is
kept so the number can be matched later but never read, ``Sealer.digest``), fields and
reference; attempts lose the number dialed and the agent's notes; calls the
number called; SMS the number and text; recordings are deleted unless the
campaign's compliance profile keeps them longer (China: 30 days), in which
case ``purge_after`` says when the scheduled job deletes them; the import
folder of a fully destroyed batch goes. The certificate records what, how
many, when and by whom, chained by digest (``orchestrator.leads.destruction``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import DateTime, Select, String, cast, func, literal_column, select, text, update
from sqlalchemy.orm import Session

from orchestrator.compliance import rules_for
from orchestrator.leads.destruction import (
    GENESIS,
    BatchState,
    DestroyReason,
    broken_links,
    certificate_digest,
    destroy_reason,
)
from settings import Settings
from store.enums import DIALABLE_LEAD_STATUSES, LeadStatus, PurchaseState, RecordingStatus
from store.models import (
    Attempt,
    Call,
    Campaign,
    DestructionCertificate,
    Lead,
    LeadList,
    PbxNode,
    Purchase,
    Recording,
    SmsMessage,
)
from store.sealing import Sealer
from web.calls.services import recordings_root, stored_file
from web.leaddata.bulk import set_each, set_same
from web.leaddata.purchases import PurchaseError

#: Leads wiped per statement.
CHUNK = 5000
#: What a deleted recording's path becomes (followed by its id: paths are unique).
GONE = "destroyed/"
#: PostgreSQL's advisory lock of destruction (``hold_destruction_lock``).
DESTRUCTION_LOCK = 15015


class Actor(Protocol):
    """Who destroys: a logged-in user (``Identity``) or a ``User`` row."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True)
class Wiper:
    """What destruction needs besides the database: the hash key, the import and recordings folders (the
    archive's too: an archived recording is destroyed like any other)."""

    sealer: Sealer
    imports_dir: Path
    recordings_dir: Path
    archive_dir: Path

    @classmethod
    def of(cls, sealer: Sealer, settings: Settings) -> Wiper:
        """The folders the settings name: the instance dir's imports, the recordings and their archive."""
        return cls(sealer, Path(settings.instance_dir) / "imports", Path(settings.recordings_dir),
                   settings.recordings_archive)


def batch_state(session: Session, purchase: Purchase, list_ids: Sequence[int]) -> BatchState:
    def count(*statuses: LeadStatus) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Lead)
                .where(Lead.list_id.in_(list_ids), Lead.status.in_(statuses))
            )
            or 0
        )

    return BatchState(
        dialable=count(*DIALABLE_LEAD_STATUSES),
        in_flight=count(LeadStatus.DIALING),
        licence_expires=purchase.licence_expires,
        rejected=purchase.state is PurchaseState.REJECTED,
    )


def live_lists(purchase_id: int) -> Select[tuple[int]]:
    return (
        select(LeadList.id)
        .where(LeadList.purchase_id == purchase_id, LeadList.destroyed_at.is_(None), ~LeadList.importing)
        .order_by(LeadList.id)
    )


def destroy(
    session: Session,
    purchase: Purchase,
    list_ids: Sequence[int],
    wiper: Wiper,
    now: datetime,
    by: Actor | None,
) -> DestructionCertificate:
    """Destroy these lists of the batch if the rule allows (else ``PurchaseError`` says why)."""
    list_ids = sorted(set(list_ids))
    if not list_ids:
        raise PurchaseError("Nothing is left to destroy in this batch.")
    hold_destruction_lock(session)
    reason = destroy_reason(batch_state(session, purchase, list_ids), now.date())
    if not isinstance(reason, DestroyReason):
        raise PurchaseError(f"Not destroyed: {reason}.")
    records = _wipe_leads(session, list_ids, wiper.sealer)
    leads = select(Lead.id).where(Lead.list_id.in_(list_ids))
    attempts = select(Attempt.id).where(Attempt.lead_id.in_(leads))
    bulk = {"synchronize_session": False}  # 100 k rows: no ORM bookkeeping, nothing loaded is stale
    session.execute(
        update(Attempt).where(Attempt.lead_id.in_(leads)).values(phone="", notes=""), execution_options=bulk
    )
    session.execute(
        update(Call).where(Call.attempt_id.in_(attempts)).values(callee=""), execution_options=bulk
    )
    session.execute(
        update(SmsMessage).where(SmsMessage.lead_id.in_(leads)).values(phone="", text=""),
        execution_options=bulk,
    )
    deleted, kept_until = _recordings(session, attempts, wiper, now)
    session.execute(update(LeadList).where(LeadList.id.in_(list_ids)).values(destroyed_at=now, active=False))
    folders = 0
    if session.scalar(select(func.count()).select_from(live_lists(purchase.id).subquery())) == 0:
        purchase.state = PurchaseState.DESTROYED
        folders = _remove_imports(wiper.imports_dir, purchase.id)
    facts: dict[str, Any] = {
        "purchase_id": purchase.id,
        "batch": purchase.batch,
        "vendor": purchase.vendor.name,
        "lists": list_ids,
        "records": records,
        "recordings_deleted": deleted,
        "recordings_kept_until": kept_until.isoformat() if kept_until else None,
        "import_folders_removed": folders,
        "reason": reason.value,
        "by_id": by.id if by else None,
        "by": by.username if by else "scheduled job",
        "at": now.isoformat(),
    }
    return _certify(session, purchase.id, facts, now)


def _wipe_leads(session: Session, list_ids: Sequence[int], sealer: Sealer) -> int:
    """Replace each lead's number by ``#<id>`` and its keyed hash; drop its fields and reference."""
    done, last = 0, 0
    while True:
        rows = session.execute(
            select(Lead.id, Lead.phone)
            .where(Lead.list_id.in_(list_ids), Lead.id > last, Lead.phone_hash.is_(None))
            .order_by(Lead.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return done
        marker = literal_column("'#'").concat(cast(Lead.id, String))
        set_each(
            session,
            Lead,
            "phone_hash",
            [(i, sealer.digest(p)) for i, p in rows],
            String(64),
            phone=marker,
            fields={},
            external_ref=None,
        )
        done, last = done + len(rows), rows[-1][0]


def _recordings(
    session: Session, attempts: Select[tuple[Any]], wiper: Wiper, now: datetime
) -> tuple[int, datetime | None]:
    """Delete the files the compliance profile lets go; mark the others for the scheduled job."""
    rows = session.execute(
        select(
            Recording.id,
            Recording.path,
            Recording.node_id,
            func.coalesce(Recording.started_at, Recording.created_at),
            Campaign.compliance_profile,
        )
        .join(Attempt, Recording.attempt_id == Attempt.id)
        .join(Campaign, Attempt.campaign_id == Campaign.id)
        .where(Recording.attempt_id.in_(attempts), ~Recording.path.startswith(GONE))
    ).all()
    due, kept = [], []
    for rec_id, path, node_id, started, profile in rows:
        until = _aware(started) + timedelta(days=rules_for(profile).min_recording_retention_days)
        if until <= now:
            due.append((rec_id, path, node_id))
        else:
            kept.append((rec_id, until))
    _delete_files(session, due, wiper)
    set_each(session, Recording, "purge_after", kept, DateTime(timezone=True))
    return len(due), max((until for _, until in kept), default=None)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _delete_files(session: Session, rows: Sequence[tuple[int, str, int | None]], wiper: Wiper) -> None:
    """Unlink each recording's file (in its node's folder or the archive) and leave its row saying so
    (calls and reports keep the row).

    50 000 files in a 100 k-record batch: each node's directory is worked out once, not per file."""
    root = wiper.recordings_dir
    roots = {n.id: recordings_root(n, root) for n in session.scalars(select(PbxNode))}
    for _, path, node_id in rows:
        file = stored_file(path, roots.get(node_id or 0, root), wiper.archive_dir)
        if file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file)
    gone = literal_column(f"'{GONE}'").concat(cast(Recording.id, String))
    set_same(
        session,
        Recording,
        [rec_id for rec_id, _, _ in rows],
        path=gone,
        status=RecordingStatus.MISSING,
        status_reason="deleted with its destroyed batch",
        purge_after=None,
    )


def purge_due_recordings(session: Session, wiper: Wiper, now: datetime) -> int:
    """The scheduled half of the recordings policy: files kept for retention whose time has come."""
    hold_destruction_lock(session)
    due = (
        session.execute(
            select(Recording.id, Recording.path, Recording.node_id)
            .where(Recording.purge_after <= now)
            .limit(CHUNK)
        )
        .tuples()
        .all()
    )
    _delete_files(session, due, wiper)
    return len(due)


def _remove_imports(imports_dir: Path, purchase_id: int) -> int:
    """The batch's import folders (error reports list rejected rows: personal data too)."""
    removed = 0
    for meta in imports_dir.glob("*/meta.json") if imports_dir.is_dir() else ():
        try:
            belongs = json.loads(meta.read_text()).get("purchase_id") == purchase_id
        except (OSError, ValueError):
            continue
        if belongs:
            shutil.rmtree(meta.parent, ignore_errors=True)
            removed += 1
    return removed


def hold_destruction_lock(session: Session) -> None:
    """Hold, until the transaction ends, the lock of whatever deletes recordings or moves them: destructions
    take turns (one certificate chain), and a recording is not moved to the archive while it is destroyed
    (the file its row named a moment before would be deleted and the archived copy outlive it).
    PostgreSQL: an advisory lock; SQLite: its one write lock, taken now by a write that changes nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({DESTRUCTION_LOCK})"))
    else:
        session.execute(text("UPDATE recordings SET id = id WHERE 0 = 1"))


def _certify(
    session: Session, purchase_id: int, facts: dict[str, Any], now: datetime
) -> DestructionCertificate:
    previous = (
        session.scalar(
            select(DestructionCertificate.digest).order_by(DestructionCertificate.id.desc()).limit(1)
        )
        or GENESIS
    )
    facts = json.loads(json.dumps(facts, default=str))  # as the JSON column gives it back
    certificate = DestructionCertificate(
        purchase_id=purchase_id,
        facts=facts,
        previous=previous,
        digest=certificate_digest(previous, facts),
        at=now,
    )
    session.add(certificate)
    session.flush()
    return certificate


def chain_breaks(session: Session) -> list[int]:
    """Ids of certificates that do not verify (empty: the whole chain holds)."""
    certificates = session.scalars(select(DestructionCertificate).order_by(DestructionCertificate.id)).all()
    bad = broken_links((c.previous, c.digest, c.facts) for c in certificates)
    return [certificates[i].id for i in bad]


def destroy_expired(session: Session, wiper: Wiper, now: datetime) -> int:
    """The scheduled job: every batch whose licence ended before today, where no call is in flight."""
    today: date = now.date()
    expired = session.scalars(
        select(Purchase).where(Purchase.licence_expires < today, Purchase.state != PurchaseState.DESTROYED)
    ).all()
    done = 0
    for purchase in expired:
        lists = list(session.scalars(live_lists(purchase.id)))
        try:
            with session.begin_nested():
                destroy(session, purchase, lists, wiper, now, None)
            done += 1
        except PurchaseError:
            continue  # calls in flight: the next run
    return done
