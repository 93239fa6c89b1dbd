"""``switchboard runner`` as a process: SIGTERM stops it whatever state its PBX and database are in."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import demo
from lab.campaign import switchboard_exe
from orchestrator.node.lease import LeaseTerms
from runner.lease import NodeLease
from settings import Settings
from store import migrate
from store import models as m
from store.db import make_engine, session_factory
from store.sealing import instance_sealer


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def runner_process(url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    log = tmp_path / "runner.log"
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_INSTANCE_DIR": str(tmp_path)}
    with open(log, "w") as out:
        proc = subprocess.Popen([switchboard_exe(), "runner", "--pbx", "pbx"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stops_on_sigterm_once_logged(proc: subprocess.Popen, log: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{log.read_text()}"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, log.read_text()  # a hang guard, not a timing claim


def test_sigterm_stops_a_runner_whose_pbx_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine).begin() as s:
        demo.ensure_node(s, instance_sealer(Settings(instance_dir=tmp_path)),
                         demo.NodeSpec("pbx", "127.0.0.1", closed_port(), "u", "p"))
    engine.dispose()
    with runner_process(url, tmp_path) as (proc, log):
        stops_on_sigterm_once_logged(proc, log, "connect failed")


def test_sigterm_stops_a_runner_waiting_for_its_database(tmp_path):
    """Started while the database is down: it waits (retrying), and SIGTERM still ends it cleanly."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/switchboard"
    with runner_process(url, tmp_path) as (proc, log):
        stops_on_sigterm_once_logged(proc, log, "database unavailable")


def _node_with_standby(url: str, tmp_path: Path) -> int:
    engine = make_engine(url)
    with session_factory(engine).begin() as s:
        node = demo.ensure_node(s, instance_sealer(Settings(instance_dir=tmp_path)),
                                demo.NodeSpec("pbx", "127.0.0.1", closed_port(), "u", "p"))
        node.standby = True
        node_id = node.id
    engine.dispose()
    return node_id


def test_a_standby_on_sqlite_is_refused_at_start_plainly(tmp_path):
    url = f"sqlite:///{tmp_path / 'sb.sqlite3'}"
    migrate.upgrade(url)
    _node_with_standby(url, tmp_path)
    with runner_process(url, tmp_path) as (proc, log):
        assert proc.wait(60) != 0
        assert "a standby runner needs PostgreSQL: on SQLite a node has exactly one runner" in log.read_text()


@pytest.mark.postgres
def test_a_second_runner_stands_by_while_the_first_holds_the_lease(pg_engine, tmp_path):
    url = pg_engine.url.render_as_string(hide_password=False)
    node_id = _node_with_standby(url, tmp_path)
    first = NodeLease(session_factory(pg_engine), node_id, LeaseTerms(ttl_s=600.0))
    assert first.try_acquire()
    with runner_process(url, tmp_path) as (proc, log):
        stops_on_sigterm_once_logged(proc, log, "standby: waiting for the lease")
    assert "lease taken" not in log.read_text()


@pytest.mark.postgres
def test_a_runner_without_a_standby_waits_while_another_holds_the_lease(pg_engine, tmp_path):
    """The node's standby switched off while the old pair runs: a single runner never acts beside them."""
    url = pg_engine.url.render_as_string(hide_password=False)
    node_id = _node_with_standby(url, tmp_path)
    sessions = session_factory(pg_engine)
    first = NodeLease(sessions, node_id, LeaseTerms(ttl_s=600.0))
    assert first.try_acquire()
    with sessions.begin() as s:
        s.get(m.PbxNode, node_id).standby = False
    with runner_process(url, tmp_path) as (proc, log):
        stops_on_sigterm_once_logged(proc, log, "another runner holds this node's lease; waiting")
    assert "recovered node=pbx" not in log.read_text()


#: A standby that just took the lease gets SIGTERM before its runtime has a handler of its own.
_SIGTERM_AT_TAKEOVER = """
import os, signal, sys
from runner import main

class Lease:
    released = False
    def wait(self, sleep):
        return True
    def release(self):
        Lease.released = True

def run(sessions, node, options, lease, stopped=lambda: False):
    os.kill(os.getpid(), signal.SIGTERM)  # importing and building the runtime: no handler of its own yet
    assert stopped(), "the SIGTERM was not remembered"  # the runtime would stop as it starts

main._run = run
main.serve_with_standby(None, None, None, Lease())
print("released" if Lease.released else "kept")
"""


def test_a_sigterm_just_after_the_lease_was_taken_hands_the_lease_on():
    """Between the standby's wait and its runtime's own SIGTERM handler the signal is remembered:
    the runner stops as it starts and releases the lease, instead of dying with it held."""
    done = subprocess.run([str(Path(switchboard_exe()).with_name("python")), "-c", _SIGTERM_AT_TAKEOVER],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert (done.returncode, done.stdout.strip()) == (0, "released"), done.stderr
