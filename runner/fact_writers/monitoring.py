"""Live monitoring: each step of a session onto its audit row (``monitor_sessions``)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from orchestrator import monitor
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m


def _update(s: Session, session_id: int, **values: object) -> None:
    s.execute(
        update(m.MonitorSession).where(m.MonitorSession.id == session_id).values(**values),
        execution_options={"synchronize_session": False},
    )


@writes(monitor.MonitorDialing)
def dialing(to: Target, s: Session, fact: monitor.MonitorDialing) -> None:
    _update(
        s,
        fact.session_id,
        node_id=to.node_id,
        channel_id=fact.channel_id,
        agent_leg=fact.agent_leg,
        call_attempt=fact.call_attempt,
    )


@writes(monitor.MonitorStarted)
def started(to: Target, s: Session, fact: monitor.MonitorStarted) -> None:
    _update(s, fact.session_id, started_at=to_dt(fact.at))


@writes(monitor.MonitorEnded)
def ended(to: Target, s: Session, fact: monitor.MonitorEnded) -> None:
    _update(s, fact.session_id, ended_at=to_dt(fact.at), outcome=fact.reason[:255])
