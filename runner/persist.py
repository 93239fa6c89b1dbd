"""The core's facts -> rows, one transaction per step (written before its commands are sent).

Writing first means a crash can lose a command but never an attempt the PBX
is dialing: a started attempt is in the database before its Originate leaves,
so a restarted runner finds it open and hands it back to the core.

What goes where:

* attempts: one row per ``AttemptStarted`` (id = our attempt id), milestones
  and outcome from the later facts; a ``calls`` row mirrors what the PBX did;
* leads: ``LeadUpdated`` (status, attempts, next call, quiet period), which
  also ends this runner's claim on the row (``store.leads.apply_update``);
* agents (state, reason, since) + agent_state_log: ``AgentStatus`` (with the campaign it
  happened in);
* recordings: one row per recorded bridge, with the file name the PBX was
  given: relative to its recording directory, which the web reads through
  the node's ``recordings_dir`` (or the setting of that name);
* abandon_buckets: ``ComplianceCounted`` added to this node's minute bucket.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from sqlalchemy import Table, Update, bindparam, select, update
from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from orchestrator.events import AgentState
from runner.times import to_dt
from store import compliance, leads
from store import models as m
from store.enums import AmdVerdict, CallDirection


class FactWriter:
    def __init__(self, node_id: int) -> None:
        self.node_id = node_id

    def write(self, session: Session, campaign_id: int, facts: Iterable[f.Fact]) -> None:
        """Apply ``facts`` in order inside the caller's transaction."""
        for fact in facts:
            self._apply(session, campaign_id, fact)
            session.flush()

    def _apply(self, s: Session, campaign_id: int, fact: f.Fact) -> None:
        at = to_dt(fact.at)
        match fact:
            case f.AttemptStarted():
                attempt_id = uuid.UUID(fact.attempt_id)
                s.add(m.Attempt(id=attempt_id, lead_id=fact.lead_id, campaign_id=fact.campaign_id,
                                node_id=self.node_id, agent_id=fact.agent_id, phone=fact.number,
                                channel_id=fact.channel_id, originated_at=at))
                s.flush()
                s.add(m.Call(attempt_id=attempt_id, campaign_id=fact.campaign_id, node_id=self.node_id,
                             direction=CallDirection.OUTBOUND, callee=fact.number, started_at=at))
            case f.AttemptAnswered():
                self._attempt(s, fact.attempt_id, answered_at=at)
                self._call(s, fact.attempt_id, answered_at=at)
            case f.AmdDecided():
                self._attempt(s, fact.attempt_id, amd_at=at, amd_verdict=AmdVerdict(fact.verdict.value),
                              amd_cause=fact.cause[:64])
            case f.AttemptBridged():
                self._attempt(s, fact.attempt_id, bridged_at=at, agent_id=fact.agent_id)
                if fact.recording:
                    attempt_id = uuid.UUID(fact.attempt_id)
                    call_id = s.scalar(select(m.Call.id).where(m.Call.attempt_id == attempt_id))
                    s.add(m.Recording(call_id=call_id, attempt_id=attempt_id,
                                      node_id=self.node_id, path=fact.recording, started_at=at))
            case f.AttemptAbandoned():
                self._attempt(s, fact.attempt_id, abandoned=True)
            case f.AttemptEnded():
                self._attempt(s, fact.attempt_id, ended_at=at, outcome=fact.outcome, hangup_cause=fact.cause)
                self._call(s, fact.attempt_id, ended_at=at, hangup_cause=fact.cause)
                _update_where(s, m.Recording.__table__, "attempt_id", uuid.UUID(fact.attempt_id),
                              {"ended_at": at, "duration_s": Decimal(f"{fact.talk_s:.3f}")})
            case f.LeadUpdated():
                leads.apply_update(s, fact.update, fact.at)
            case f.AgentStatus():
                self._agent(s, campaign_id, fact)
            case f.DispositionRecorded():
                self._disposition(s, campaign_id, fact)
            case f.ComplianceCounted():
                compliance.add_counts(s, fact.campaign_id, self.node_id, fact.at,
                                      live_answers=fact.live_answers, abandons=fact.abandons,
                                      machines=fact.machines)

    @staticmethod
    def _attempt(s: Session, attempt_id: str, **values: object) -> None:
        _update_where(s, m.Attempt.__table__, "id", uuid.UUID(attempt_id), values)

    @staticmethod
    def _call(s: Session, attempt_id: str, **values: object) -> None:
        _update_where(s, m.Call.__table__, "attempt_id", uuid.UUID(attempt_id), values)

    @staticmethod
    def _agent(s: Session, campaign_id: int, fact: f.AgentStatus) -> None:
        at = to_dt(fact.at)
        s.execute(update(m.AgentStateLog)
                  .where(m.AgentStateLog.agent_id == fact.agent_id, m.AgentStateLog.ended_at.is_(None))
                  .values(ended_at=at), execution_options={"synchronize_session": False})
        if fact.state is not AgentState.LOGGED_OUT:
            s.add(m.AgentStateLog(agent_id=fact.agent_id, state=fact.state, reason=fact.reason[:64],
                                  campaign_id=campaign_id, started_at=at))
        s.execute(update(m.Agent).where(m.Agent.id == fact.agent_id)
                  .values(state=fact.state, state_reason=fact.reason[:64], state_since=at),
                  execution_options={"synchronize_session": False})

    @staticmethod
    def _disposition(s: Session, campaign_id: int, fact: f.DispositionRecorded) -> None:
        disposition_id = s.scalar(select(m.Disposition.id).where(
            m.Disposition.campaign_id == campaign_id, m.Disposition.code == fact.code))
        attempt = s.get(m.Attempt, uuid.UUID(fact.attempt_id))
        if attempt is None:
            return
        attempt.disposition_id = disposition_id
        s.execute(update(m.Lead).where(m.Lead.id == attempt.lead_id).values(disposition_id=disposition_id),
                  execution_options={"synchronize_session": False})


def _update_where(s: Session, table: Table, key: str, value: object, values: dict[str, object]) -> None:
    """``UPDATE table SET values WHERE key = value`` with a statement built once per set of columns."""
    s.execute(_update_statement(table, key, frozenset(values)),
              {"_key": value, **{f"_set_{name}": v for name, v in values.items()}})


@cache
def _update_statement(table: Table, key: str, columns: frozenset[str]) -> Update:
    """The same few UPDATEs run for every call (answered, AMD, bridged, ended): built and cache-keyed
    once instead of per fact, which was most of the runner's CPU per event under load (the ESL
    runner's backlog grew while it built statements). Plain Core: the rows are never loaded."""
    return (update(table).where(table.c[key] == bindparam("_key"))
            .values({name: bindparam(f"_set_{name}") for name in sorted(columns)}))
