"""Attempts, the calls that mirror them, and their recordings.

One ``attempts`` row per ``AttemptStarted`` (id = our attempt id) and a
``calls`` row for what the PBX did; milestones and outcome from the later
facts. A recorded bridge adds a ``recordings`` row with the file name the PBX
was given: relative to its recording directory, which the web reads through
the node's ``recordings_dir`` (or the setting of that name).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m
from store.enums import AmdVerdict, CallDirection


def _update_attempt(s: Session, attempt_id: str, **values: object) -> None:
    s.execute(update(m.Attempt).where(m.Attempt.id == uuid.UUID(attempt_id)).values(**values),
              execution_options={"synchronize_session": False})


def _update_call(s: Session, attempt_id: str, **values: object) -> None:
    s.execute(update(m.Call).where(m.Call.attempt_id == uuid.UUID(attempt_id)).values(**values),
              execution_options={"synchronize_session": False})


@writes(f.AttemptStarted)
def started(to: Target, s: Session, fact: f.AttemptStarted) -> None:
    at, attempt_id = to_dt(fact.at), uuid.UUID(fact.attempt_id)
    s.add(m.Attempt(id=attempt_id, lead_id=fact.lead_id, campaign_id=fact.campaign_id, node_id=to.node_id,
                    agent_id=fact.agent_id, phone=fact.number, channel_id=fact.channel_id, originated_at=at))
    s.flush()
    s.add(m.Call(attempt_id=attempt_id, campaign_id=fact.campaign_id, node_id=to.node_id,
                 direction=CallDirection.OUTBOUND, caller=fact.caller_id, callee=fact.number,
                 started_at=at))


@writes(f.AttemptAnswered)
def answered(to: Target, s: Session, fact: f.AttemptAnswered) -> None:
    _update_attempt(s, fact.attempt_id, answered_at=to_dt(fact.at))
    _update_call(s, fact.attempt_id, answered_at=to_dt(fact.at))


@writes(f.AmdDecided)
def amd_decided(to: Target, s: Session, fact: f.AmdDecided) -> None:
    _update_attempt(s, fact.attempt_id, amd_at=to_dt(fact.at), amd_verdict=AmdVerdict(fact.verdict.value),
                    amd_cause=fact.cause[:64])


@writes(f.AttemptBridged)
def bridged(to: Target, s: Session, fact: f.AttemptBridged) -> None:
    at = to_dt(fact.at)
    _update_attempt(s, fact.attempt_id, bridged_at=at, agent_id=fact.agent_id)
    attempt_id = uuid.UUID(fact.attempt_id)
    # A call bridged again after a takeover (``AttemptUnbridged``) records into the same file.
    if fact.recording and s.scalar(select(m.Recording.id).where(
            m.Recording.attempt_id == attempt_id, m.Recording.path == fact.recording)) is None:
        call_id = s.scalar(select(m.Call.id).where(m.Call.attempt_id == attempt_id))
        s.add(m.Recording(call_id=call_id, attempt_id=attempt_id, node_id=to.node_id, path=fact.recording,
                          started_at=at))


@writes(f.AttemptUnbridged)
def unbridged(to: Target, s: Session, fact: f.AttemptUnbridged) -> None:
    _update_attempt(s, fact.attempt_id, bridged_at=None, agent_id=None)


@writes(f.AttemptAbandoned)
def abandoned(to: Target, s: Session, fact: f.AttemptAbandoned) -> None:
    _update_attempt(s, fact.attempt_id, abandoned=True)


@writes(f.AttemptEnded)
def ended(to: Target, s: Session, fact: f.AttemptEnded) -> None:
    at = to_dt(fact.at)
    _update_attempt(s, fact.attempt_id, ended_at=at, outcome=fact.outcome, hangup_cause=fact.cause)
    _update_call(s, fact.attempt_id, ended_at=at, hangup_cause=fact.cause)
    s.execute(update(m.Recording).where(m.Recording.attempt_id == uuid.UUID(fact.attempt_id))
              .values(ended_at=at, duration_s=Decimal(f"{fact.talk_s:.3f}")))
