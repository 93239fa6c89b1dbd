"""The ``switchboard scheduler`` process: APScheduler 3 applying campaign schedules to ``desired_state``.

Campaign schedules live in ``campaigns.schedule`` (edited in the web). Every
``SYNC_S`` seconds :func:`sync` turns them into two cron jobs per campaign
(start -> running, stop -> paused; after the last date the campaign stays
paused) in APScheduler's SQLAlchemy job store, replacing jobs whose trigger
changed and removing those of deleted schedules. Only this process runs a
scheduler: a job store must not be shared by several (DESIGN.md).

A second periodic job, :func:`sweep_claims`, gives back lead claims nobody
will finish (previews an agent walked away from, runners that never came
back).

Jobs are module-level functions with plain arguments so the job store can
pickle them; the session factory and scheduler they use are set once by
:func:`build` (one scheduler per process).
"""

from __future__ import annotations

import contextlib
import logging
import signal
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.store.db import make_engine, session_factory
from orchestrator.store.enums import CampaignState
from orchestrator.store.leads import sweep_stale_claims
from orchestrator.store.models import Campaign
from orchestrator.store.types import utcnow
from web.auth import audit
from web.campaigns.forms import ScheduleSpec
from web.campaigns.services import set_state

log = logging.getLogger(__name__)
SYNC_S = 30
SWEEP_S = 60  # stale lead claims (``orchestrator.store.leads.sweep_stale_claims``)
JOB_PREFIX = "campaign-"
JOBS_TABLE = "apscheduler_jobs"


@dataclass
class _Runtime:
    sessions: sessionmaker[Session] | None = None
    scheduler: BaseScheduler | None = None


_runtime = _Runtime()


def configure(sessions: sessionmaker[Session]) -> None:
    _runtime.sessions = sessions


def triggers(spec: ScheduleSpec) -> dict[str, tuple[CronTrigger, CampaignState]]:
    """``start``/``stop`` -> (cron trigger, state to apply)."""
    zone = ZoneInfo(spec.tz)
    first = datetime.combine(date.fromisoformat(spec.first_date), time(), zone) if spec.first_date else None
    last = (
        datetime.combine(date.fromisoformat(spec.last_date), time(23, 59, 59), zone)
        if spec.last_date
        else None
    )
    days = ",".join(spec.days)
    out = {}
    for kind, hhmm, state in (
        ("start", spec.start, CampaignState.RUNNING),
        ("stop", spec.stop, CampaignState.PAUSED),
    ):
        hour, minute = (int(x) for x in hhmm.split(":"))
        out[kind] = (
            CronTrigger(
                day_of_week=days, hour=hour, minute=minute, start_date=first, end_date=last, timezone=zone
            ),
            state,
        )
    return out


def apply_state(campaign_id: int, state: str) -> None:
    """The job: set the campaign's desired state (audited as ``system``)."""
    assert _runtime.sessions is not None, "configure() the scheduler's session factory first"
    with _runtime.sessions.begin() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and set_state(session, campaign, CampaignState(state)):
            audit.record(session, f"campaign.{state}", "campaign", campaign_id, via="scheduler")
            log.info("campaign %s (%s) -> %s", campaign.name, campaign_id, state)


def sync(scheduler: BaseScheduler) -> None:
    """Make the job store match the schedules in the database."""
    assert _runtime.sessions is not None
    with _runtime.sessions() as session:
        rows = session.execute(select(Campaign.id, Campaign.schedule)).all()
    wanted: dict[str, tuple[CronTrigger, CampaignState, int]] = {}
    for campaign_id, schedule in rows:
        spec = ScheduleSpec.from_json(schedule or {})
        if spec is None:
            continue
        for kind, (trigger, state) in triggers(spec).items():
            wanted[f"{JOB_PREFIX}{campaign_id}-{kind}"] = (trigger, state, campaign_id)
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and (
            job.id not in wanted
            or str(job.trigger) != str(wanted[job.id][0])
            or job.trigger.start_date != wanted[job.id][0].start_date
            or job.trigger.end_date != wanted[job.id][0].end_date
        ):
            scheduler.remove_job(job.id)
    existing = {job.id for job in scheduler.get_jobs()}
    for job_id, (trigger, state, campaign_id) in wanted.items():
        if job_id not in existing:
            scheduler.add_job(
                apply_state,
                trigger,
                args=[campaign_id, state.value],
                id=job_id,
                misfire_grace_time=600,
                coalesce=True,
                replace_existing=True,
            )


def _sync_job() -> None:
    assert _runtime.scheduler is not None
    sync(_runtime.scheduler)


def sweep_claims() -> None:
    """The job: give back lead claims nobody will finish (expired previews, dead runners)."""
    assert _runtime.sessions is not None
    with _runtime.sessions.begin() as session:
        released = sweep_stale_claims(session, utcnow())
    if released:
        log.info("released %d stale lead claims", released)


def build(scheduler_cls: type[BaseScheduler], database_url: str) -> BaseScheduler:
    """A scheduler on the database's job store with the periodic sync job (not started)."""
    engine = make_engine(database_url)
    configure(session_factory(engine))
    scheduler = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)}, timezone=UTC
    )
    _runtime.scheduler = scheduler
    # First run right at start-up, then every SYNC_S seconds.
    scheduler.add_job(
        _sync_job,
        "interval",
        seconds=SYNC_S,
        id="sync-schedules",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        sweep_claims, "interval", seconds=SWEEP_S, id="sweep-claims", replace_existing=True, coalesce=True,
        max_instances=1,
    )
    return scheduler


def run(database_url: str) -> None:
    """Blocking: run until SIGINT/SIGTERM, then shut the scheduler down cleanly."""
    log.info("scheduler starting; schedules re-read every %s s", SYNC_S)
    scheduler = build(BlockingScheduler, database_url)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.start()
    log.info("scheduler stopped")
