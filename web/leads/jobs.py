"""Background import jobs with progress, so a 100 000-row file shows a live progress bar.

A job lives in its own directory under ``<instance>/imports/<token>/``: the
uploaded file, ``meta.json`` (what the supervisor chose) and, once finished,
``errors.csv``. Progress is kept in memory for the polling page; the result is
also written to ``result.json`` so it survives a restart of the web process.
The job runs in a thread; its writes are short transactions (see services).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from store.models import LeadList
from store.types import utcnow
from web.leads import importer, services

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
log = logging.getLogger(__name__)
#: A staging list this old belongs to a web process that died mid-import.
ABANDONED_AFTER = timedelta(hours=6)


@dataclass
class JobStatus:
    state: str = "queued"  # queued, running, done, failed
    phase: str = ""
    done: int = 0
    total: int = 0
    imported: int = 0
    rejected: int = 0
    duplicates: int = 0
    dnc: int = 0
    error: str = ""
    list_id: int | None = None
    already: int = 0  # DNC uploads: numbers that were listed already


@dataclass
class JobMeta:
    filename: str
    list_name: str
    list_id: int | None
    region: str
    campaign_id: int | None = None
    mapping: dict[str, Any] = field(default_factory=dict)  # importer.Mapping's fields, as JSON keeps them
    key: str = ""  # see upload_key
    kind: str = "leads"  # or "dnc": numbers added to a do-not-call list
    reason: str = ""  # dnc: why the numbers are listed
    user_id: int | None = None  # dnc: who uploaded them
    purchase_id: int | None = None  # leads: the bought batch the file is (held back until its sample test)


def _write_whole(path: Path, text: str) -> None:
    """Write then rename: a reader in another thread or process sees the old file or the new, never half."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    partial.write_text(text)
    os.replace(partial, path)


class Jobs:
    """Directory-backed job registry shared by the views of one app."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._status: dict[str, JobStatus] = {}
        self._lock = threading.Lock()

    def dir(self, token: str) -> Path:
        if not _TOKEN.match(token):
            raise KeyError(token)
        path = self.root / token
        if not path.is_dir():
            raise KeyError(token)
        return path

    def new(self, meta: JobMeta, upload_bytes: bytes) -> str:
        meta.key = upload_key(upload_bytes, meta)
        token = secrets.token_hex(16)
        path = self.root / token
        path.mkdir(parents=True, mode=0o700)  # leads' personal data: the web's user only
        fd = os.open(path / "source", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload_bytes)
        self.save_meta(token, meta)
        return token

    def meta(self, token: str) -> JobMeta:
        return JobMeta(**json.loads((self.dir(token) / "meta.json").read_text()))

    def save_meta(self, token: str, meta: JobMeta) -> None:
        _write_whole(self.root / token / "meta.json", json.dumps(asdict(meta)))

    def status(self, token: str) -> JobStatus:
        with self._lock:
            if token in self._status:
                return JobStatus(**asdict(self._status[token]))
        result = self.dir(token) / "result.json"
        return JobStatus(**json.loads(result.read_text())) if result.exists() else JobStatus()

    def _update(self, token: str, **changes: object) -> None:
        with self._lock:
            status = self._status.setdefault(token, JobStatus())
            for key, value in changes.items():
                setattr(status, key, value)

    def started(self, token: str) -> bool:
        return (self.dir(token) / "started").exists()

    def start(self, token: str, sessions: sessionmaker[Session]) -> threading.Thread | None:
        """Run the import in a thread, once: a second POST of the same mapping form starts nothing.

        The marker file is created exclusively, so this holds across web processes too.
        """
        try:
            (self.dir(token) / "started").open("x").close()
        except FileExistsError:
            return None
        self._update(token, state="queued")
        thread = threading.Thread(
            target=self.run, args=(token, sessions), name=f"import-{token[:8]}", daemon=True
        )
        thread.start()
        return thread

    def run(self, token: str, sessions: sessionmaker[Session]) -> JobStatus:
        """Do the import now (the thread target; the benchmark calls it directly)."""
        path = self.dir(token)
        meta = self.meta(token)
        self._update(token, state="running", phase="reading")
        try:
            if meta.kind == "dnc":
                status = self._import_dnc(token, path, meta, sessions)
            else:
                status = self._import(token, path, meta, sessions)
        except (importer.FileError, ValueError) as exc:  # the supervisor's to fix: shown as is
            self._update(token, state="failed", error=str(exc))
        except Exception:
            # Database errors carry SQL and lead data: the log gets them, the page a reference.
            log.exception("%s import %s failed", meta.kind, token)
            self._update(token, state="failed", error=_SERVER_ERROR[meta.kind].format(ref=token[:8]))
        else:
            self._update(token, **asdict(status))
        finally:
            # The uploaded file is personal data the database now holds (or that is to be sent
            # again): nothing keeps a copy on disk once the import has run.
            (path / "source").unlink(missing_ok=True)
        final = self.status(token)
        _write_whole(path / "result.json", json.dumps(asdict(final)))
        return final

    def _import(self, token: str, path: Path, meta: JobMeta, sessions: sessionmaker[Session]) -> JobStatus:
        header, rows = importer.read_table(path / "source", meta.filename)
        mapping = importer.Mapping(**meta.mapping) if meta.mapping else importer.guess_mapping(header)
        rows_list = list(rows)
        self._update(token, total=len(rows_list), phase="checking numbers")
        services.discard_abandoned(sessions, ABANDONED_AFTER)
        with sessions() as session:  # reads only: no lock is held while the file is checked
            campaign_id = meta.campaign_id
            if meta.list_id is not None:
                lead_list = session.get(LeadList, meta.list_id)
                if lead_list is None or lead_list.importing:
                    raise ValueError("the target list no longer exists")
                campaign_id = lead_list.campaign_id
            existing = services.existing_phones(session, meta.list_id) if meta.list_id else set()
            if meta.purchase_id is not None:  # one number once per batch, whichever list holds it now
                existing |= services.purchase_phones(session, meta.purchase_id)
            dnc = services.dnc_phones(session, campaign_id, utcnow())
        prepared = importer.prepare(
            rows_list,
            mapping,
            meta.region,
            existing=existing,
            dnc=dnc,
            progress=lambda n: self._update(token, done=n // 2),
        )
        (path / "errors.csv").write_text(importer.error_report(prepared.problems))
        self._update(token, phase="saving", done=len(rows_list) // 2)
        half = len(rows_list) // 2
        target = services.Target(meta.list_id, meta.list_name, campaign_id, meta.filename, meta.purchase_id)
        staging_id = services.open_staging(sessions, target, meta.key or token)
        try:
            imported = services.insert_leads(
                sessions,
                staging_id,
                campaign_id,
                prepared,
                progress=lambda n: self._update(
                    token, done=half + n * (len(rows_list) - half) // max(len(prepared.rows), 1)
                ),
            )
            self._update(token, phase="activating")
            list_id = services.activate(sessions, staging_id, meta.list_id)
        except BaseException:
            services.discard(sessions, staging_id)
            raise
        return JobStatus(
            state="done",
            phase="done",
            done=len(rows_list),
            total=len(rows_list),
            imported=imported,
            rejected=len(prepared.problems),
            duplicates=prepared.duplicates,
            dnc=prepared.dnc,
            list_id=list_id,
        )

    def _import_dnc(
        self, token: str, path: Path, meta: JobMeta, sessions: sessionmaker[Session]
    ) -> JobStatus:
        header, rows = importer.read_table(path / "source", meta.filename)
        phone_column = importer.guess_mapping(header).phone
        self._update(token, phase="checking numbers")
        result = services.import_dnc(
            sessions,
            rows,
            phone_column,
            meta.region,
            meta.campaign_id,
            meta.reason,
            meta.user_id,
            progress=lambda done, total: self._update(token, phase="saving", done=done, total=total),
        )
        (path / "errors.csv").write_text(importer.error_report(result.problems))
        total = result.added + result.already
        return JobStatus(
            state="done",
            phase="done",
            done=total,
            total=total,
            imported=result.added,
            already=result.already,
            rejected=len(result.problems),
        )


_SERVER_ERROR = {
    "leads": "the import failed on the server; nothing was imported (reference {ref})",
    "dnc": "the upload stopped on a server error; numbers added before it stay listed, "
    "upload the file again to finish (reference {ref})",
}


def upload_key(upload_bytes: bytes, meta: JobMeta) -> str:
    """The same file sent to the same target is the same import (content hash + target)."""
    digest = hashlib.sha256(upload_bytes)
    target = meta.list_id if meta.list_id is not None else f"new:{meta.list_name}:{meta.campaign_id}"
    digest.update(f"\0{target}\0{meta.region}".encode())
    return digest.hexdigest()
