"""Moving old recordings to the archive (``switchboard backup recordings``): off the PBX's spool, still
played in the browser.

A recording is moved once it is settled (checked by the web host: ok, empty or damaged; a missing or
destroyed one has no file to move) and began more than the given number of days ago. Each file is
copied to ``<archive>/<day>/<node>/<path>`` under a temporary name, synced and renamed; then the
rows of the batch get their new stored path (``archived/<day>/<node>/<path>``, which the call pages
play from the archive and show as "archived on <day>") in one short transaction under destruction's
lock, where they still name the file copied (a recording destroyed meanwhile leaves no copy behind);
only then are the originals unlinked. A crash between the steps leaves a file in both places (the
next run moves it again, over the copy) but never a row that names no file.

Nothing is deleted that exists nowhere else, so the compliance profiles' retention (China: recordings
kept at least 30 days) holds in the archive as on the spool; deleting a recording stays the job of
lead-data destruction (``web.leaddata.destruction``), which finds an archived file where its row says.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.backup import sync_dir
from store.enums import RecordingStatus
from store.models import PbxNode, Recording
from web.calls.services import ARCHIVED, file_under, recordings_root
from web.leaddata.destruction import hold_destruction_lock

#: Recordings moved per transaction.
BATCH = 200
#: Statuses of a checked recording whose file exists (``missing``: there is nothing to move).
SETTLED = (RecordingStatus.OK, RecordingStatus.EMPTY, RecordingStatus.DAMAGED)
#: ``recordings.path``'s length.
PATH_MAX = 512


@dataclass
class Archived:
    """What one run did."""

    moved: int = 0
    bytes: int = 0
    #: Recordings left where they are, and why (their file is not there, their path would not fit).
    skipped: list[str] = field(default_factory=list)


def archive_recordings(sessions: sessionmaker[Session], default_root: Path, archive_root: Path,
                       older_than: timedelta, now: datetime) -> Archived:
    """Move the settled recordings that began before ``now - older_than`` into ``archive_root``."""
    done = Archived()
    day = now.date().isoformat()
    last = 0
    while True:
        with sessions() as session:
            batch = session.execute(
                select(Recording.id, Recording.path, Recording.node_id)
                .where(Recording.id > last, Recording.status.in_(SETTLED),
                       ~Recording.path.startswith(ARCHIVED),
                       func.coalesce(Recording.started_at, Recording.created_at) < now - older_than)
                .order_by(Recording.id).limit(BATCH)
            ).tuples().all()
            roots = {n.id: recordings_root(n, default_root) for n in session.scalars(select(PbxNode))}
        if not batch:
            return done
        last = batch[-1][0]
        copies = [c for c in (_copy(row, roots, default_root, archive_root, day, done) for row in batch) if c]
        for folder in {c.target.parent for c in copies}:
            sync_dir(folder)
        with sessions.begin() as session:  # short: the files are copied already
            moved = _repoint(session, copies)
        for copy in copies:  # the rows name the archived copies now, or the recording was destroyed meanwhile
            (copy.source if copy in moved else copy.target).unlink(missing_ok=True)
            if copy in moved:
                done.moved += 1
                done.bytes += copy.size


@dataclass(frozen=True)
class _Copy:
    """A recording's file copied into the archive, its row not yet pointing there."""

    id: int
    path: str  # as stored before
    stored: str  # as stored once archived
    source: Path
    target: Path
    size: int


def _copy(row: tuple[int, str, int | None], roots: dict[int, Path], default_root: Path, archive_root: Path,
          day: str, done: Archived) -> _Copy | None:
    """Copy one recording's file to the archive under a temporary name, synced before the rename."""
    rec_id, path, node_id = row
    stored = f"{ARCHIVED}{day}/{f'node-{node_id}' if node_id else 'default'}/{path}"
    source = file_under(roots.get(node_id or 0, default_root), path)
    target = file_under(archive_root, stored.removeprefix(ARCHIVED))
    if source is None or target is None or len(stored) > PATH_MAX:
        done.skipped.append(f"recording {rec_id}: its path {path!r} cannot be archived")
        return None
    if not os.path.isfile(source):
        done.skipped.append(f"recording {rec_id}: no file at {source}")
        return None
    archived = Path(target)
    archived.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # customers' voices: the web's user only
    partial = archived.with_name(f".{archived.name}.partial")
    shutil.copy2(source, partial)
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, archived)
    return _Copy(rec_id, path, stored, Path(source), archived, archived.stat().st_size)


def _repoint(session: Session, copies: Sequence[_Copy]) -> set[_Copy]:
    """Point the rows at their archived copies, under destruction's lock, where they still name the file
    that was copied (a destruction in between renamed them); the copies whose rows now point there."""
    hold_destruction_lock(session)
    current = dict(session.execute(
        select(Recording.id, Recording.path).where(Recording.id.in_([c.id for c in copies]))).tuples().all())
    moved = {c for c in copies if current.get(c.id) == c.path}
    for copy in moved:
        session.execute(update(Recording).where(Recording.id == copy.id).values(path=copy.stored))
    return moved
