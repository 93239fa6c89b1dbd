"""`switchboard scheduler` as a process: it loads schedules into its job store and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text

from orchestrator.store import migrate
from orchestrator.store.db import make_engine, session_factory
from orchestrator.store.models import Campaign
from web.campaigns.forms import ScheduleSpec


def test_scheduler_process_syncs_and_stops(settings):
    migrate.upgrade(settings.sqlalchemy_url, "head")
    engine = make_engine(settings.sqlalchemy_url)
    spec = ScheduleSpec(("mon", "fri"), "08:30", "18:00", "Europe/Paris")
    with session_factory(engine).begin() as s:
        s.add(Campaign(name="Paris", mode="progressive", compliance_profile="fr", schedule=spec.as_json()))
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url,
        "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir),
    }
    switchboard = str(Path(sys.executable).with_name("switchboard"))
    proc = subprocess.Popen(
        [switchboard, "scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
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
        assert jobs == {"sync-schedules", "sweep-claims", f"campaign-{campaign_id}-start",
                        f"campaign-{campaign_id}-stop"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
