"""`switchboard run`'s processes under its supervisor: a killed child comes back, stop ends them all.

The children are the real ones of ``switchboard run`` (runner, scheduler, web) on a test
box: a SQLite file of its own and a node whose PBX is not there (the runner keeps
trying to connect), so nothing touches the shared sandbox.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator.backoff import Backoff
from orchestrator.store import migrate
from orchestrator.store.db import make_engine, session_factory
from switchboard import demo
from switchboard.config import Settings
from switchboard.run_all import NODE, box_children
from switchboard.supervisor import ChildSpec, Supervisor

FAST = Backoff(initial=0.05, maximum=0.2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pids(supervisor: Supervisor) -> dict[str, int | None]:
    return {name: s.pid for name, s in supervisor.status().items()}


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def running() -> Iterator[Callable[..., Supervisor]]:
    """A supervisor running in a thread (``switchboard run`` runs it in its main thread)."""
    started: list[tuple[Supervisor, threading.Thread]] = []

    def start(specs: list[ChildSpec], **options: object) -> Supervisor:
        supervisor = Supervisor(specs, **options)
        thread = threading.Thread(target=supervisor.run, daemon=True)
        thread.start()
        started.append((supervisor, thread))
        return supervisor

    yield start
    for supervisor, thread in started:
        supervisor.request_stop()
        thread.join(30)


def test_a_killed_runner_is_restarted_and_stop_ends_every_child(tmp_path, running, caplog):
    settings = replace(Settings(instance_dir=tmp_path / "instance"), secret_key="test", web_port=_free_port())
    migrate.upgrade(settings.sqlalchemy_url, "head")
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine).begin() as s:  # a PBX that is not there: the runner keeps trying
        demo.ensure_node(s, demo.NodeSpec(NODE, "127.0.0.1", _free_port(), "switchboard", "secret"))
    engine.dispose()
    caplog.set_level(logging.INFO, logger="switchboard.supervisor")

    supervisor = running(box_children(settings, None), backoff=FAST)
    assert supervisor.wait_for(lambda status: all(s.pid for s in status.values()), 30)
    first = _pids(supervisor)
    assert set(first) == {"runner", "scheduler", "web"}

    os.kill(first["runner"], signal.SIGKILL)
    assert supervisor.wait_for(lambda status: status["runner"].pid not in (None, first["runner"]), 30)
    second = _pids(supervisor)
    assert second["scheduler"] == first["scheduler"] and second["web"] == first["web"]
    assert any("runner killed by SIGKILL" in r.getMessage() for r in caplog.records)

    supervisor.request_stop()
    assert supervisor.wait_for(lambda status: not any(s.pid for s in status.values()), 30)
    assert not any(_alive(pid) for pid in second.values())


def test_a_child_that_keeps_dying_is_retried_with_its_reason_logged(tmp_path, running, caplog):
    caplog.set_level(logging.INFO, logger="switchboard.supervisor")
    crash = ChildSpec("crash", (sys.executable, "-c", "print('no database configured'); raise SystemExit(3)"),
                      dict(os.environ), tmp_path / "crash.log")
    supervisor = running([crash], backoff=FAST)
    assert supervisor.wait_for(lambda status: status["crash"].restarts >= 3, 30)
    exits = [r.getMessage() for r in caplog.records if "exited" in r.getMessage()]
    assert "crash exited with status 3" in exits[0]
    assert "its last log line: no database configured" in exits[0]
    assert "restart 3" in exits[2]
