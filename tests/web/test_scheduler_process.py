"""`switchboard scheduler` as a process: it loads schedules into its job store, stops on SIGTERM,
and rides out a database that goes away (PostgreSQL behind a gate we close) or stays locked (SQLite)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url, select, text

from lab.faults import TcpGate, gated_url, hold_sqlite_write_lock
from store import migrate
from store.db import make_engine, session_factory
from store.models import Campaign
from web.campaigns.forms import ScheduleSpec

SYNCED = ("_sync_job", "executed successfully")


def test_scheduler_process_syncs_and_stops(settings):
    migrate.upgrade(settings.sqlalchemy_url, "head")
    engine = make_engine(settings.sqlalchemy_url)
    spec = ScheduleSpec(("mon", "fri"), "08:30", "18:00", "Europe/Paris")
    with session_factory(engine).begin() as s:
        s.add(Campaign(name="Paris", mode="progressive", compliance_profile="fr", schedule=spec.as_json()))
    proc = _start(settings.sqlalchemy_url, settings.instance_dir)
    try:
        for line in proc.stdout:  # wait for the first sync to finish
            if '"_sync_job' in line and "executed successfully" in line:
                break
        else:
            raise AssertionError("the scheduler exited before syncing")
        with engine.connect() as conn:
            jobs = set(conn.scalars(text("SELECT id FROM apscheduler_jobs")))
        with session_factory(engine)() as s:
            campaign_id = s.scalar(select(Campaign.id))
        assert jobs == {"sync-schedules", "sweep-claims", "check-recordings", "destroy-lead-data",
                        "escalate-tickets", f"campaign-{campaign_id}-start",
                        f"campaign-{campaign_id}-stop"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()


def _start(database_url: str, instance_dir: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": database_url,
           "SWITCHBOARD_INSTANCE_DIR": str(instance_dir)}
    switchboard = str(Path(sys.executable).with_name("switchboard"))
    return subprocess.Popen([switchboard, "scheduler", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _until(proc: subprocess.Popen, *wanted: tuple[str, ...]) -> str:
    """Read the scheduler's log until a line holds every part of one of ``wanted``; fail if it exits first."""
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if any(all(part in line for part in parts) for parts in wanted):
            return line
    raise AssertionError("the scheduler exited; its log:\n" + "".join(seen[-30:]))


@contextlib.contextmanager
def _outage_of(url: str, gate: TcpGate | None) -> Iterator[None]:
    """PostgreSQL: the gate before it closes (nothing reaches the server); SQLite: its write lock held."""
    if gate is not None:
        gate.close()
        try:
            yield
        finally:
            gate.open()
    else:
        with hold_sqlite_write_lock(url):
            yield


def _schedule(engine, name: str) -> int:
    spec = ScheduleSpec(("mon", "tue"), "09:00", "17:00", "Europe/Paris")
    with session_factory(engine).begin() as s:
        campaign = Campaign(name=name, mode="progressive", compliance_profile="fr", schedule=spec.as_json())
        s.add(campaign)
        s.flush()
        return campaign.id


def test_scheduler_rides_out_a_database_outage(settings):
    migrate.upgrade(settings.sqlalchemy_url, "head")
    engine = make_engine(settings.sqlalchemy_url)
    postgres = make_url(settings.sqlalchemy_url).get_backend_name() == "postgresql"
    gate = TcpGate("127.0.0.1", make_url(settings.sqlalchemy_url).port or 5432) if postgres else None
    url = gated_url(settings.sqlalchemy_url, gate) if gate else settings.sqlalchemy_url
    errors: tuple[tuple[str, ...], ...] = (("database error",), ("Error getting due jobs",))
    proc: subprocess.Popen | None = None
    try:
        proc = _start(url, settings.instance_dir, "--sync-s", "1")
        if gate is not None:  # down at start-up: it waits for the database instead of exiting
            _until(proc, ("scheduler cannot start: database error",))
            gate.open()
        _until(proc, SYNCED)

        with _outage_of(url, gate):
            _until(proc, *errors)
        first = _schedule(engine, "After the outage")
        jobs = _job_ids(engine)
        while f"campaign-{first}-start" not in jobs:  # each sync reads the schedules again
            _until(proc, SYNCED)
            jobs = _job_ids(engine)
        assert {f"campaign-{first}-start", f"campaign-{first}-stop"} <= jobs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if gate is not None:
            gate.close()
        engine.dispose()


def _job_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT id FROM apscheduler_jobs")))
