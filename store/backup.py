"""Database backups (``switchboard backup database`` / ``restore``): a dump a restore takes back, never a
half-written one.

PostgreSQL: ``pg_dump --format=custom`` (compressed, restorable table by table), by the ``pg_dump`` of
the server's major version when it is installed (Debian: ``/usr/lib/postgresql/<major>/bin``), else the
one on ``PATH`` if it is at least as new as the server. SQLite: the online backup API
(``sqlite3.Connection.backup``), a consistent copy while the runner and the web write, where copying
the live file could catch a half-applied write-ahead log.

A dump is written owner-only under a hidden ``.partial`` name in the target directory, synced to disk
and verified (``pg_restore --list``; SQLite's ``quick_check``) before it is renamed to its own name, so
a crash or a full disk never leaves a truncated file that looks like a backup. A restore checks the
file and the target before it writes anything, and writes in one transaction.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from sqlalchemy import URL, select

from store.db import _private_file, make_engine, normalize_url
from store.models import PbxNode, Seat
from store.sealing import Sealer, SecretUnreadable

#: The file name's time stamp (UTC), sortable as text.
STAMP = "%Y%m%dT%H%M%SZ"
SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
#: How each kind of file begins (pg_dump's custom format; SQLite's header).
MAGIC = {"postgresql": b"PGDMP", "sqlite": b"SQLite format 3\x00"}
#: Every Switchboard database has it (Alembic's revision): a file without it is someone else's.
REVISION_TABLE = "alembic_version"


class BackupError(Exception):
    """What went wrong, in words for whoever runs the command."""


def dump(url: str, to_dir: Path, now: datetime) -> Path:
    """Dump the database into ``to_dir`` as ``<database>-<UTC stamp>.pgdump|.sqlite3``; its path."""
    parsed = normalize_url(url)
    backend = _backend(parsed)
    to_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = to_dir / f"{_stem(parsed)}-{now.strftime(STAMP)}{SUFFIXES[backend]}"
    if final.exists():
        raise BackupError(f"{final} exists already: one dump a second")
    partial = final.with_name(f".{final.name}.partial")
    try:
        with _owner_only(partial) as fd:
            if backend == "sqlite":
                _sqlite_dump(_sqlite_path(parsed), partial)
            else:
                _pg_dump(_Server.of(parsed), fd, partial)
            os.fsync(fd)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    sync_dir(to_dir)
    return final


def prune(latest: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest dumps of ``latest``'s database beside it; the ones deleted.

    By count, not age: nights whose dump failed must not cost the last good ones."""
    name = re.fullmatch(r"(.+)-(\d{8}T\d{6}Z)(\.\w+)", latest.name)
    if name is None:
        raise BackupError(f"{latest.name} is not a dump's name")
    stem, suffix = name.group(1), name.group(3)
    pattern = re.compile(re.escape(stem) + r"-\d{8}T\d{6}Z" + re.escape(suffix))
    dumps = sorted((p for p in latest.parent.iterdir() if pattern.fullmatch(p.name)), reverse=True)
    old = dumps[keep:]
    for path in old:
        path.unlink()
    return old


def restore(url: str, file: Path, force: bool = False) -> None:
    """Restore a dump into the database of ``url``, which must hold no table unless ``force``."""
    parsed = normalize_url(url)
    try:
        backend = _backend(parsed)
        kind = kind_of(file)
        if kind != backend:
            raise BackupError(f"{file} is a {kind} dump and the database is {backend}: restore it into a "
                              f"{kind} database")
        if backend == "sqlite":
            _sqlite_restore(file, _sqlite_path(parsed), force)
        else:
            _pg_restore(_Server.of(parsed), file, force)
    except BackupError as exc:  # every check comes first, and the restore is one transaction
        raise BackupError(f"{exc}; nothing was restored") from None


def secrets_open(url: str, sealer: Sealer) -> bool:
    """Whether ``sealer``'s key opens the database's sealed secrets (one seat's or node's; True if there
    are none): a restored database is worth little until the instance's ``secrets_key`` is back."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            token = conn.scalar(select(Seat.secret).where(Seat.secret != "").limit(1)) or conn.scalar(
                select(PbxNode.secret).where(PbxNode.secret != "").limit(1))
    finally:
        engine.dispose()
    try:
        sealer.open(token or "")
    except SecretUnreadable:
        return False
    return True


def kind_of(file: Path) -> str:
    """``postgresql`` or ``sqlite`` from the file's first bytes; BackupError for anything else."""
    try:
        with open(file, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {file}: {exc.strerror}") from None
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(f"{file} is not a Switchboard dump (neither a pg_dump custom-format archive nor a "
                      "SQLite database)")


# -- SQLite ---------------------------------------------------------------------------------------

def _sqlite_dump(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    _sqlite_check(target)


def _sqlite_check(file: Path) -> None:
    """A readable, intact Switchboard database, or BackupError."""
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            ours = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (REVISION_TABLE,)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file} is not a readable SQLite database ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{file} is damaged ({verdict})")
    if ours is None:
        raise BackupError(f"{file} is a SQLite database but not Switchboard's (no {REVISION_TABLE} table)")


def _sqlite_restore(file: Path, target: Path, force: bool) -> None:
    _sqlite_check(file)
    try:
        _private_file(target)
        with closing(sqlite3.connect(target)) as dst:
            tables = dst.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables and not force:
                raise BackupError(f"{target} already holds {tables} tables: restore into a new file, or pass "
                                  "--force to replace its whole content (stop the web, runners and scheduler "
                                  "first)")
            with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as src:
                src.backup(dst)  # one write transaction on the target: all of the dump or nothing
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write {target}: {exc}") from None


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(url.database)


# -- PostgreSQL -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Server:
    """Where the client tools connect: a libpq URL without the password, which goes in their
    environment (never on a command line, where ``ps`` shows it), and the server's major version."""

    conninfo: str
    env: dict[str, str]
    major: int
    tables: int  # in the database's schemas other than the system's

    @classmethod
    def of(cls, url: URL) -> _Server:
        conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        if url.password is not None:
            env["PGPASSWORD"] = str(url.password)
        try:
            with psycopg.connect(conninfo, password=env.get("PGPASSWORD"), connect_timeout=10) as conn:
                tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                                      "('pg_catalog', 'information_schema')").fetchone()
                major = conn.info.server_version // 10000
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot reach the database {url.render_as_string()}: {exc}") from None
        return cls(conninfo, env, major, tables[0] if tables else 0)

    def tool(self, name: str) -> str:
        """The client ``name`` of this server's major version, else a newer one on PATH."""
        for candidate in (f"/usr/lib/postgresql/{self.major}/bin/{name}", shutil.which(name)):
            if candidate and os.access(candidate, os.X_OK) and _major(candidate) >= self.major:
                return candidate
        raise BackupError(f"no {name} of PostgreSQL {self.major} or newer (the server's version): install "
                          f"postgresql-client-{self.major}")

    def run(self, name: str, *args: str, stdout: int | None = None) -> str:
        """Run a client tool; its standard output (unless sent to ``stdout``), BackupError if it fails."""
        argv = [self.tool(name), *args]  # our arguments and a path the operator named, no shell
        done = subprocess.run(argv, env=self.env, check=False,  # noqa: S603
                              stdout=stdout if stdout is not None else subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise BackupError(f"{name} failed: {done.stderr.strip() or f'exit status {done.returncode}'}")
        return done.stdout or ""


def _major(tool: str) -> int:
    """``pg_dump (PostgreSQL) 15.20 (Debian ...)`` → 15."""
    argv = [tool, "--version"]
    out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout  # noqa: S603
    found = re.search(r"\) (\d+)", out)
    return int(found.group(1)) if found else 0


def _pg_dump(server: _Server, fd: int, partial: Path) -> None:
    server.run("pg_dump", "--format=custom", f"--dbname={server.conninfo}", stdout=fd)
    _pg_list(server, partial)


def _pg_list(server: _Server, file: Path) -> None:
    """``pg_restore --list``: the archive reads to its end and is Switchboard's, or BackupError."""
    try:
        listing = server.run("pg_restore", "--list", str(file))
    except BackupError as exc:
        raise BackupError(f"{file} is not a readable pg_dump archive ({exc})") from None
    if not re.search(rf"TABLE \S+ {REVISION_TABLE} ", listing):
        raise BackupError(f"{file} is a pg_dump archive but not of a Switchboard database (no "
                          f"{REVISION_TABLE} table)")


def _pg_restore(server: _Server, file: Path, force: bool) -> None:
    _pg_list(server, file)
    if server.tables and not force:
        raise BackupError(f"the database already holds {server.tables} tables: restore into an empty "
                          "database (createdb), or pass --force to drop and replace what the dump holds "
                          "(stop the web, runners and scheduler first)")
    # No owner or grants from the dump: the objects belong to whoever restores (the application's role
    # on the new server, whose other roles may not exist). One transaction: all or nothing.
    clean = ("--clean", "--if-exists") if force else ()
    server.run("pg_restore", f"--dbname={server.conninfo}", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", *clean, str(file))


# -- files ----------------------------------------------------------------------------------------

def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"cannot back up a {backend} database: PostgreSQL or SQLite only")
    return backend


def _stem(url: URL) -> str:
    """The dump's name before its stamp: the PostgreSQL database's name, the SQLite file's stem."""
    name = Path(url.database or "").stem if url.get_backend_name() == "sqlite" else url.database or ""
    return re.sub(r"[^\w.-]", "_", name) or "switchboard"


@contextmanager
def _owner_only(path: Path) -> Iterator[int]:
    """A new file only its owner reads (a dump holds password hashes and customers' numbers)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


def sync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
