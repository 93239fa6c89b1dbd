"""Background import jobs with progress, so a 100 000-row file shows a live progress bar.

A job lives in its own directory under ``<instance>/imports/<token>/``: the
uploaded file, ``meta.json`` (what the supervisor chose) and, once finished,
``errors.csv``. Progress is kept in memory for the polling page; the result is
also written to ``result.json`` so it survives a restart of the web process.
The job runs in a thread with its own session and one transaction.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from orchestrator.store.models import LeadList
from orchestrator.store.types import utcnow
from web.leads import importer, services

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


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


@dataclass
class JobMeta:
    filename: str
    list_name: str
    list_id: int | None
    region: str
    campaign_id: int | None = None
    mapping: dict[str, object] = field(default_factory=dict)


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
        token = secrets.token_hex(16)
        path = self.root / token
        path.mkdir(parents=True)
        (path / "source").write_bytes(upload_bytes)
        self.save_meta(token, meta)
        return token

    def meta(self, token: str) -> JobMeta:
        return JobMeta(**json.loads((self.dir(token) / "meta.json").read_text()))

    def save_meta(self, token: str, meta: JobMeta) -> None:
        (self.root / token / "meta.json").write_text(json.dumps(asdict(meta)))

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

    def start(self, token: str, sessions: sessionmaker[Session]) -> threading.Thread:
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
            with sessions() as session:
                status = self._import(token, path, meta, session)
        except (importer.FileError, ValueError) as exc:
            self._update(token, state="failed", error=str(exc))
        except Exception as exc:
            self._update(token, state="failed", error=f"{type(exc).__name__}: {exc}")
        else:
            self._update(token, **asdict(status))
        final = self.status(token)
        (path / "result.json").write_text(json.dumps(asdict(final)))
        return final

    def _import(self, token: str, path: Path, meta: JobMeta, session: Session) -> JobStatus:
        header, rows = importer.read_table(path / "source", meta.filename)
        mapping = importer.Mapping(**meta.mapping) if meta.mapping else importer.guess_mapping(header)
        rows_list = list(rows)
        self._update(token, total=len(rows_list), phase="checking numbers")
        if meta.list_id is not None:
            lead_list = session.get(LeadList, meta.list_id)
            if lead_list is None:
                raise ValueError("the target list no longer exists")
        else:
            lead_list = LeadList(name=meta.list_name, campaign_id=meta.campaign_id, source=meta.filename)
            session.add(lead_list)
            session.flush()
        existing = services.existing_phones(session, lead_list.id) if meta.list_id else set()
        dnc = services.dnc_phones(session, lead_list.campaign_id, utcnow())
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
        imported = services.insert_leads(
            session,
            lead_list,
            prepared,
            progress=lambda n: self._update(
                token, done=half + n * (len(rows_list) - half) // max(len(prepared.rows), 1)
            ),
        )
        session.commit()
        return JobStatus(
            state="done",
            phase="done",
            done=len(rows_list),
            total=len(rows_list),
            imported=imported,
            rejected=len(prepared.problems),
            duplicates=prepared.duplicates,
            dnc=prepared.dnc,
            list_id=lead_list.id,
        )
