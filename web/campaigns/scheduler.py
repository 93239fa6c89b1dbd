"""The ``switchboard scheduler`` process: APScheduler 3 applying campaign schedules to ``desired_state``.

Campaign schedules live in ``campaigns.schedule`` (edited in the web). Every
``SYNC_S`` seconds :func:`sync` turns them into two cron jobs per campaign
(start -> running, stop -> paused; after the last date the campaign stays
paused) in APScheduler's SQLAlchemy job store, replacing jobs whose trigger
changed and removing those of deleted schedules. Only this process runs a
scheduler: a job store must not be shared by several (docs/DESIGN-NOTES.md).

A second periodic job, :func:`sweep_claims`, gives back lead claims nobody
will finish (previews an agent walked away from, runners that never came
back). A third, :func:`check_recordings`, checks the files of ended calls'
recordings (``web.calls.wav``): their size and status are stored, and a header
a crash left unfinalised is finalised. It runs here because this process runs
on the web host, which reads the recordings (the runner's PBX may be another box).
A fourth, :func:`destroy_lead_data`, destroys bought batches whose licence
expired and deletes destroyed batches' recordings once their retention passed.
A fifth, :func:`escalate_tickets`, escalates complaint tickets overdue on their
step to the team leader, later to the directors (``web.quality.escalation``).

Jobs are module-level functions with plain arguments so the job store can
pickle them; the session factory and scheduler they use are set once by
:func:`build` (one scheduler per process).

The process rides out database outages (PostgreSQL down, SQLite locked by a
long import): it retries its start with backoff, its loop survives a failed
job-store write (:class:`ResilientScheduler`), a failed sync waits for the next
one, and a state change due during the outage is retried until it is applied.
"""

from __future__ import annotations

import contextlib
import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import monotonic
from typing import TypeVar
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.backoff import Backoff
from orchestrator.quality.tickets import EscalationPolicy
from store.db import make_engine, session_factory
from store.enums import CampaignState
from store.leads import sweep_stale_claims
from store.models import Campaign
from store.outage import describe, is_outage
from store.types import utcnow
from web.auth import audit
from web.calls.services import check_ended_recordings
from web.campaigns.forms import ScheduleSpec
from web.campaigns.services import set_state
from web.leaddata.destruction import Wiper, destroy_expired, purge_due_recordings
from web.quality.escalation import escalate_overdue

log = logging.getLogger(__name__)
SYNC_S = 30
SWEEP_S = 60  # stale lead claims (``store.leads.sweep_stale_claims``)
RECORDINGS_S = 60  # recordings of ended calls not checked yet
LEAD_DATA_S = 3600  # expired bought batches, destroyed batches' recordings past retention
ESCALATE_S = 60  # complaint tickets overdue on their step
JOB_PREFIX = "campaign-"
JOBS_TABLE = "apscheduler_jobs"
DB_BACKOFF = Backoff(initial=1.0, maximum=30.0)
MISFIRE_GRACE_S = 600  # a start/stop missed by up to this much (process down, database down) still runs


@dataclass
class _Runtime:
    sessions: sessionmaker[Session] | None = None
    scheduler: BaseScheduler | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    sync_s: float = SYNC_S
    rng: random.Random = field(default_factory=random.Random)
    recordings_dir: Path | None = None  # the default root of recordings (nodes without their own)
    wiper: Wiper | None = None  # destroys bought batches (``web.leaddata.destruction``)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)  # when the directors hear


_runtime = _Runtime()
T = TypeVar("T")


def _configured(value: T | None, what: str) -> T:
    """A part of ``_runtime`` the jobs need; a job that runs before it was set is a wiring error."""
    if value is None:
        raise RuntimeError(f"the scheduler's {what} is not set: configure() it first")
    return value


def configure(sessions: sessionmaker[Session], recordings_dir: Path | None = None,
              wiper: Wiper | None = None, escalation: EscalationPolicy | None = None) -> None:
    _runtime.sessions = sessions
    _runtime.recordings_dir = recordings_dir
    _runtime.wiper = wiper
    _runtime.escalation = escalation or EscalationPolicy()


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
    """The job: set the campaign's desired state (audited as ``system``).

    A database error is retried with backoff until the misfire grace is over
    (or the process stops): a start that fails during an outage would otherwise
    wait for the next day's trigger.
    """
    sessions = _configured(_runtime.sessions, "session factory")
    deadline = monotonic() + MISFIRE_GRACE_S
    failures = 0
    while True:
        try:
            _apply_state_once(sessions, campaign_id, CampaignState(state))
            return
        except SQLAlchemyError as exc:
            if not is_outage(exc):
                raise
            delay = DB_BACKOFF.delay(failures, _runtime.rng)
            failures += 1
            if monotonic() + delay > deadline:
                log.error("campaign %s -> %s not applied: database error for %d s (%s)",
                          campaign_id, state, MISFIRE_GRACE_S, describe(exc))
                return
            log.warning("campaign %s -> %s: database error (%s); retrying in %.1f s",
                        campaign_id, state, describe(exc), delay)
            if _runtime.stopping.wait(delay):
                return


def _apply_state_once(sessions: sessionmaker[Session], campaign_id: int, state: CampaignState) -> None:
    with sessions.begin() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and set_state(session, campaign, state):
            audit.record(session, f"campaign.{state.value}", "campaign", campaign_id, via="scheduler")
            log.info("campaign %s (%s) -> %s", campaign.name, campaign_id, state.value)


class ResilientScheduler(BlockingScheduler):
    """A blocking scheduler whose loop survives database errors.

    APScheduler 3 retries a failed read of the due jobs itself, but a failed
    write in the same loop (saving a job's next run time while SQLite is locked
    by an import, or PostgreSQL going away between two statements) escapes
    ``_process_jobs`` and ends ``start()``, i.e. the process. Here the loop logs
    it and tries again after a backoff; jobs whose next run time was not saved
    are still due and run once more (coalesced), which every job here tolerates.
    """

    _failures = 0

    def _process_jobs(self) -> float | None:
        try:
            wait_s = super()._process_jobs()
        except SQLAlchemyError as exc:
            if not is_outage(exc):
                raise
            delay = DB_BACKOFF.delay(self._failures, _runtime.rng)
            self._failures += 1
            log.warning("scheduler loop: database error (%s); retrying in %.1f s", describe(exc), delay)
            return delay
        self._failures = 0
        return wait_s


def sync(scheduler: BaseScheduler) -> None:
    """Make the job store match the schedules in the database."""
    with _configured(_runtime.sessions, "session factory")() as session:
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
                misfire_grace_time=MISFIRE_GRACE_S,
                coalesce=True,
                replace_existing=True,
            )


def _ride_out(what: str, work: Callable[[], int | None]) -> int | None:
    """Run a periodic job's database work; an outage is logged and left to the job's next run."""
    try:
        return work()
    except SQLAlchemyError as exc:
        if not is_outage(exc):
            raise
        log.warning("%s: database error (%s); the next run catches up", what, describe(exc))
        return None


def _sync_job() -> None:
    scheduler = _configured(_runtime.scheduler, "scheduler")
    _ride_out("schedules not synced", lambda: sync(scheduler))


def _in_transaction(work: Callable[[Session], int]) -> Callable[[], int]:
    def run() -> int:
        with _configured(_runtime.sessions, "session factory").begin() as session:
            return work(session)
    return run


def sweep_claims() -> None:
    """The job: give back lead claims nobody will finish (expired previews, dead runners)."""
    released = _ride_out("stale claims not swept",
                         _in_transaction(lambda session: sweep_stale_claims(session, utcnow())))
    if released:
        log.info("released %d stale lead claims", released)


def check_recordings() -> None:
    """The job: size and status of ended calls' recordings (finalising those a crash left open)."""
    folder = _runtime.recordings_dir
    if folder is None:
        return
    checked = _ride_out("recordings not checked",
                        _in_transaction(lambda session: check_ended_recordings(session, folder, utcnow())))
    if checked:
        log.info("checked %d recordings", checked)


def destroy_lead_data() -> None:
    """The job: destroy bought batches whose licence expired, and recordings of destroyed batches whose
    compliance retention has passed."""
    wiper = _runtime.wiper
    if wiper is None:
        return
    now = utcnow()
    batches = _ride_out("expired batches not destroyed",
                        _in_transaction(lambda session: destroy_expired(session, wiper, now)))
    files = _ride_out("recordings not purged",
                      _in_transaction(lambda session: purge_due_recordings(session, wiper, now)))
    if batches or files:
        log.info("destroyed %d expired batches, %d recordings past retention", batches or 0, files or 0)


def escalate_tickets() -> None:
    """The job: escalate complaint tickets overdue on their step (idempotent: run again, nothing more)."""
    policy = _runtime.escalation
    raised = _ride_out("overdue tickets not escalated",
                       _in_transaction(lambda session: escalate_overdue(session, utcnow(), policy)))
    if raised:
        log.info("escalated %d overdue complaint tickets", raised)


def build(scheduler_cls: type[BaseScheduler], database_url: str, sync_s: float = SYNC_S,
          recordings_dir: Path | None = None, wiper: Wiper | None = None,
          escalation: EscalationPolicy | None = None) -> BaseScheduler:
    """A scheduler on the database's job store with the periodic jobs (not started)."""
    engine = make_engine(database_url)
    configure(session_factory(engine), recordings_dir, wiper, escalation)
    _runtime.sync_s = sync_s
    scheduler = scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)}, timezone=UTC
    )
    _runtime.scheduler = scheduler
    # First run right at start-up, then every SYNC_S seconds.
    scheduler.add_job(
        _sync_job,
        "interval",
        seconds=sync_s,
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
    scheduler.add_job(
        escalate_tickets, "interval", seconds=ESCALATE_S, id="escalate-tickets", replace_existing=True,
        coalesce=True, max_instances=1,
    )
    if wiper is not None:
        scheduler.add_job(
            destroy_lead_data, "interval", seconds=LEAD_DATA_S, id="destroy-lead-data", replace_existing=True,
            coalesce=True, max_instances=1,
        )
    if recordings_dir is not None:
        scheduler.add_job(
            check_recordings, "interval", seconds=RECORDINGS_S, id="check-recordings", replace_existing=True,
            coalesce=True, max_instances=1,
        )
    return scheduler


def run(database_url: str, sync_s: float = SYNC_S, recordings_dir: Path | None = None,
        wiper: Wiper | None = None, escalation: EscalationPolicy | None = None) -> None:
    """Blocking: run until SIGINT/SIGTERM, then shut the scheduler down cleanly.

    A database that cannot be reached at start-up is retried with backoff, as
    are errors while running (see :class:`ResilientScheduler`).
    """
    log.info("scheduler starting; schedules re-read every %s s", sync_s)
    current: list[BaseScheduler] = []

    def stop(*_: object) -> None:
        _runtime.stopping.set()
        for scheduler in current:
            with contextlib.suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failures = 0
    while not _runtime.stopping.is_set():
        scheduler = build(ResilientScheduler, database_url, sync_s, recordings_dir, wiper, escalation)
        current[:] = [scheduler]
        try:
            scheduler.start()  # returns once stop() shut it down
        except SQLAlchemyError as exc:
            if not is_outage(exc):
                raise
            delay = DB_BACKOFF.delay(failures, _runtime.rng)
            failures += 1
            log.warning("scheduler cannot start: database error (%s); retrying in %.1f s",
                        describe(exc), delay)
            with contextlib.suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=False)
            _runtime.stopping.wait(delay)
    log.info("scheduler stopped")
