"""Agents' states: ``agents`` (state, reason, since) and ``agent_state_log``, with the campaign it
happened in."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from orchestrator.events import AgentState
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m


@writes(f.AgentStatus)
def status(to: Target, s: Session, fact: f.AgentStatus) -> None:
    """Close the agent's open log entry, open the new one (none once logged out), set the agent's row."""
    at = to_dt(fact.at)
    s.execute(update(m.AgentStateLog)
              .where(m.AgentStateLog.agent_id == fact.agent_id, m.AgentStateLog.ended_at.is_(None))
              .values(ended_at=at), execution_options={"synchronize_session": False})
    if fact.state is not AgentState.LOGGED_OUT:
        s.add(m.AgentStateLog(agent_id=fact.agent_id, state=fact.state, reason=fact.reason[:64],
                              campaign_id=to.campaign_id, started_at=at))
    s.execute(update(m.Agent).where(m.Agent.id == fact.agent_id)
              .values(state=fact.state, state_reason=fact.reason[:64], state_since=at),
              execution_options={"synchronize_session": False})
