"""A fresh SQLite database at the newest schema by copying one migrated file, made once per process:
the tests' and labs' databases without running every migration again for each (about a second
apiece, over a thousand times a suite).

The copy is the file ``migrate.upgrade`` wrote, so nothing differs but the time. A database that
exists already, an in-memory one, or one on PostgreSQL is migrated as usual.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

from sqlalchemy import make_url

from store import migrate

_lock = threading.Lock()
_template: Path | None = None


def upgrade_to_head(url: str) -> None:
    """``migrate.upgrade(url, "head")``, by a copy where it can be one."""
    target = _new_sqlite_file(url)
    if target is None:
        migrate.upgrade(url, "head")
        return
    shutil.copyfile(_migrated_template(), target)


def _new_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _migrated_template() -> Path:
    global _template
    with _lock:
        if _template is None or not _template.exists():
            directory = Path(tempfile.mkdtemp(prefix="switchboard-schema-"))
            atexit.register(shutil.rmtree, directory, True)
            path = directory / "head.sqlite3"
            migrate.upgrade(f"sqlite:///{path}", "head")
            with sqlite3.connect(path) as db:  # one self-contained file: nothing left in a -wal beside it
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.execute("PRAGMA journal_mode=DELETE")
            _template = path
        return _template
