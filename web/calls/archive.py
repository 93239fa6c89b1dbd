"""Moving old recordings to the archive (``switchboard backup recordings``): off the PBX's spool, still
played in the browser.

A recording is moved once it is settled (checked by the web host: ok, empty or damaged; a missing or
destroyed one has no file to move) and began more than the given number of days ago. Each file is
copied to ``<archive>/<day>/<node>/<path>`` under a temporary name, synced and renamed; then the
rows of the batch get their new stored path (``archived/<day>/<node>/<path>``, which the call pages
play from the archive and show as "archived on <day>") and are committed; only then are the originals
unlinked. A crash between the steps leaves a file in both places (the next run moves it again, over
the copy) but never a row that names no file.

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

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.backup import sync_dir
from store.enums import RecordingStatus
from store.models import PbxNode, Recording
from web.calls.services import ARCHIVED, file_under, recordings_root

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
            batch = session.scalars(
                select(Recording)
                .where(Recording.id > last, Recording.status.in_(SETTLED),
                       ~Recording.path.startswith(ARCHIVED),
                       func.coalesce(Recording.started_at, Recording.created_at) < now - older_than)
                .order_by(Recording.id).limit(BATCH)
            ).all()
            if not batch:
                return done
            last = batch[-1].id
            roots = {n.id: recordings_root(n, default_root) for n in session.scalars(select(PbxNode))}
            originals = _move_batch(session, batch, roots, default_root, archive_root, day, done)
            session.commit()
        for original in originals:  # the rows name the archived copies now
            original.unlink(missing_ok=True)


def _move_batch(session: Session, batch: Sequence[Recording], roots: dict[int, Path], default_root: Path,
                archive_root: Path, day: str, done: Archived) -> list[Path]:
    """Copy each recording of the batch into the archive and point its row there; the originals."""
    originals: list[Path] = []
    folders: set[Path] = set()
    for recording in batch:
        node = f"node-{recording.node_id}" if recording.node_id else "default"
        stored = f"{ARCHIVED}{day}/{node}/{recording.path}"
        source = file_under(roots.get(recording.node_id or 0, default_root), recording.path)
        target = file_under(archive_root, stored.removeprefix(ARCHIVED))
        if source is None or target is None or len(stored) > PATH_MAX:
            done.skipped.append(f"recording {recording.id}: its path {recording.path!r} cannot be archived")
            continue
        if not os.path.isfile(source):
            done.skipped.append(f"recording {recording.id}: no file at {source}")
            continue
        done.bytes += _copy(Path(source), Path(target))
        folders.add(Path(target).parent)
        recording.path = stored
        originals.append(Path(source))
        done.moved += 1
    for folder in folders:
        sync_dir(folder)
    return originals


def _copy(source: Path, target: Path) -> int:
    """Copy a file (its times too) to ``target`` through a temporary name, synced before the rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copy2(source, partial)
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    return target.stat().st_size

