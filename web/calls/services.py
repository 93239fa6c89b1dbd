"""The call log query: filters map to indexed columns, pages are fixed-size (no COUNT over everything).

Sorted newest first on ``calls.started_at`` (indexed); one page fetches one
row more than it shows to know whether a next page exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.security import safe_join

from provisioning.freeswitch import RECORDINGS_DIR as FREESWITCH_RECORDINGS_DIR
from store.enums import CallDirection, Outcome, PbxKind, RecordingStatus
from store.models import Agent, Attempt, Call, Campaign, Disposition, PbxNode, Recording, User
from store.sales import sold_on_attempt
from web.auth.roles import within
from web.calls.wav import WavCheck, check_wav, inspect_wav

PAGE = 50
#: Who took the call: the attempt's agent (outbound), else the inbound call's own (no attempt).
CALL_AGENT: ColumnElement[int] = func.coalesce(Attempt.agent_id, Call.agent_id)


@dataclass(frozen=True)
class CallFilter:
    agent_id: int | None = None
    campaign_id: int | None = None
    outcome: Outcome | None = None
    day_from: date | None = None
    day_to: date | None = None  # inclusive
    number: str = ""  # digits; matches caller or callee containing them
    customer: tuple[str, ...] = ()  # a customer's number as stored (``number_forms``): their calls only
    page: int = 0


def of_customer(forms: tuple[str, ...]) -> ColumnElement[bool]:
    """Calls with this customer: they called (inbound: the caller) or we called them (the callee)."""
    return or_(and_(Call.direction == CallDirection.INBOUND, Call.caller.in_(forms)),
               and_(Call.direction == CallDirection.OUTBOUND, Call.callee.in_(forms)))


def search(
    session: Session, f: CallFilter, teams: frozenset[int] | None
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the call log; ``teams``: the caller's scope (``team_scope``), None for every team."""
    recording = (
        select(func.min(Recording.id)).where(Recording.call_id == Call.id).correlate(Call).scalar_subquery()
    )
    query = (
        select(
            Call,
            Attempt.outcome,
            sold_on_attempt(),
            User.username,
            Campaign.name,
            Disposition.label,
            recording.label("recording_id"),
            select(Recording.status).where(Recording.id == recording).scalar_subquery().label("rec_status"),
        )
        .outerjoin(Attempt, Attempt.id == Call.attempt_id)
        .outerjoin(Agent, Agent.id == CALL_AGENT)
        .outerjoin(User, User.id == Agent.user_id)
        .outerjoin(Campaign, Campaign.id == Call.campaign_id)
        .outerjoin(Disposition, Disposition.id == Attempt.disposition_id)
        .where(within(teams, Agent.team_id))
    )
    if f.agent_id is not None:
        query = query.where(CALL_AGENT.in_([f.agent_id]))
    if f.campaign_id is not None:
        query = query.where(Call.campaign_id == f.campaign_id)
    if f.outcome is not None:
        query = query.where(Attempt.outcome == f.outcome)
    if f.day_from is not None:
        query = query.where(Call.started_at >= datetime.combine(f.day_from, time(), UTC))
    if f.day_to is not None:
        query = query.where(Call.started_at < datetime.combine(f.day_to + timedelta(days=1), time(), UTC))
    if f.customer:
        query = query.where(of_customer(f.customer))
    digits = "".join(ch for ch in f.number if ch.isdigit())
    if digits:
        query = query.where(or_(Call.callee.contains(digits), Call.caller.contains(digits)))
    query = query.order_by(Call.started_at.desc(), Call.id.desc()).limit(PAGE + 1).offset(f.page * PAGE)
    rows = [
        {
            "call": call,
            "outcome": outcome.value if outcome else (call.queue_outcome.value if call.queue_outcome else ""),
            "amount": amount,
            "agent": agent or "",
            "campaign": campaign or "",
            "disposition": disposition or "",
            "recording_id": rec,
            "recording_status": rec_status.value if rec_status else "",
            "duration_s": int((call.ended_at - call.answered_at).total_seconds())
            if call.ended_at and call.answered_at
            else 0,
        }
        for call, outcome, amount, agent, campaign, disposition, rec, rec_status in session.execute(query)
    ]
    return rows[:PAGE], len(rows) > PAGE


def recording_in_scope(session: Session, recording: Recording, teams: frozenset[int] | None) -> bool:
    """Whether the recording's call was taken by an agent of one of ``teams`` (None: every team)."""
    if teams is None:
        return True
    team = session.scalar(
        select(Agent.team_id)
        .select_from(Call)
        .outerjoin(Attempt, Call.attempt_id == Attempt.id)
        .join(Agent, Agent.id == CALL_AGENT)
        .where(Call.id == recording.call_id)
    )
    return team in teams


#: A recording moved to the archive (``switchboard backup recordings``) is stored as this, then the day it
#: was moved, its node's folder and the path it had: the part after this prefix is relative to the archive
#: directory (the ``recordings_archive_dir`` setting). The runner's names never start so.
ARCHIVED = "archived/"


def recording_file(recording: Recording, node: PbxNode | None, default_root: Path,
                   archive_root: Path | None = None) -> Path | None:
    """The file of a recording: its stored path joined under its node's recordings directory.

    The runner stores the name it gave the PBX (relative to the PBX's monitor
    directory); each node says where the web host reads that directory (empty:
    FreeSWITCH's default recordings directory, or for Asterisk the
    ``recordings_dir`` setting). ``safe_join`` refuses absolute paths and
    ``..``, so a row can never make the web serve a file outside that root.
    An archived recording is read under ``archive_root`` (None where none is
    looked at: a recording is archived only once it has been checked).
    """
    joined = stored_file(recording.path, recordings_root(node, default_root), archive_root)
    return Path(joined) if joined is not None else None


def stored_file(path: str, node_root: Path, archive_root: Path | None) -> str | None:
    """A stored recording path as a file: under its node's root, or the archive's for an archived one;
    None if it would leave that root (absolute, ``..``)."""
    if path.startswith(ARCHIVED):
        return file_under(archive_root, path.removeprefix(ARCHIVED)) if archive_root is not None else None
    return file_under(node_root, path)


def archived_on(recording: Recording) -> date | None:
    """The day a recording was moved to the archive (from its stored path); None if it was not."""
    if not recording.path.startswith(ARCHIVED):
        return None
    try:
        return date.fromisoformat(recording.path.removeprefix(ARCHIVED).split("/", 1)[0])
    except ValueError:
        return None


def file_under(root: Path | str, path: str) -> str | None:
    """A stored recording path joined under ``root``; None if it would leave it (absolute, ``..``)."""
    return safe_join(str(root), path)


def recordings_root(node: PbxNode | None, default_root: Path) -> Path:
    """Where the web host reads a node's recordings (see :func:`recording_file`)."""
    if node is not None and node.recordings_dir:
        return Path(node.recordings_dir)
    if node is not None and node.kind == PbxKind.FREESWITCH:
        return Path(FREESWITCH_RECORDINGS_DIR)
    return default_root


#: Recordings checked per sweep (the next sweep takes the rest).
CHECK_BATCH = 200
#: A recording this old whose end was never written (its runner died with the call) is treated as ended.
LONGEST_CALL = timedelta(hours=12)


#: How long after a call's end the PBX may still be closing its file (MixMonitor and record_session
#: write the header's sizes when they close it, a moment after the hangup the runner saw).
SETTLE = timedelta(seconds=60)


def _ended(recording: Recording, path: Path, now: datetime) -> bool:
    """Whether the PBX is done with the file: the call ended a while ago and the file stopped changing."""
    ended = (recording.ended_at is not None and recording.ended_at < now - SETTLE) or (
        recording.started_at is not None and recording.started_at < now - LONGEST_CALL)
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return ended  # no file: nothing is writing it
    return ended and written < now - SETTLE


def check_recording(session: Session, recording: Recording, default_root: Path,
                    now: datetime | None = None, archive_root: Path | None = None) -> WavCheck:
    """Inspect a recording's file and store its size, status and duration on the row.

    Only an ended recording is finalised (its header rewritten) and stored: a
    call still in progress (or one the PBX is still closing) has an open
    header because the PBX is still writing, so it is only inspected. A ``missing`` file is stored too but
    re-checked when someone asks for it (a mount may come back).
    """
    node = session.get(PbxNode, recording.node_id) if recording.node_id else None
    path = recording_file(recording, node, default_root, archive_root)
    if path is None:
        check = WavCheck(RecordingStatus.DAMAGED, None,
                         reason="stored path is not inside its node's recordings directory")
    elif not _ended(recording, path, now or datetime.now(UTC)):
        return inspect_wav(path)
    else:
        check = check_wav(path)
    recording.status = check.status
    recording.status_reason = check.reason[:255]
    recording.size_bytes = check.size_bytes
    if check.duration_s is not None and check.status is RecordingStatus.OK:
        recording.duration_s = Decimal(f"{check.duration_s:.3f}")
    return check


def check_ended_recordings(session: Session, default_root: Path, now: datetime,
                           limit: int = CHECK_BATCH) -> int:
    """Check the ended recordings nobody has checked yet, oldest first; the number checked (none of them
    archived: only a checked recording is)."""
    pending = session.scalars(
        select(Recording).where(
            Recording.status.is_(None),
            or_(Recording.ended_at < now - SETTLE, Recording.started_at < now - LONGEST_CALL),
        ).order_by(Recording.id).limit(limit)
    ).all()
    for recording in pending:
        check_recording(session, recording, default_root, now)
    return len(pending)
