"""What a (re)starting runner reads back from the store before it dials again.

* Leads this runner claimed but never dialed (no open attempt) are given back
  as they were (``release_stale_claims`` with our claimer name).
* Attempts started and never ended are handed to the core as ``OpenAttempt``:
  their calls may still be live; the core keeps those whose channel is up at
  ``PbxConnected`` and ends the others as LOST, at the last moment the previous
  run was known to be watching (its last recorded fact on this node), not at
  the restart: a call left open then was alive then, and nothing is known of
  it after. Their leads are *not* released.
* Agents still logged in on this node's seats are logged in again (the runner
  first hangs up their old nailed-up legs, see ``ami_runner``).
* Monitoring sessions the previous run dialed and never saw end are closed
  (``close_monitor_sessions``): nobody follows them any more, so their team
  leader's leg is hung up if it is still up (the new run cannot end it with the call).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.commands import Endpoint
from orchestrator.dialer import OpenAttempt
from runner.leads_port import core_lead
from runner.seats import seat_confirms, seat_phone
from runner.times import to_epoch
from store import models as m
from store.enums import AgentState, AmdVerdict, CampaignMode
from store.inbound import agent_queues
from store.leads import last_fact_at, open_attempts, release_stale_claims
from store.types import utcnow


@dataclass(frozen=True)
class LoggedIn:
    agent_id: int
    campaign_id: int | None  # None: a hotline seat, logged in for its inbound queues only
    phone: Endpoint  # where their leg is dialed (``runner.seats.seat_phone``)
    hotline: tuple[int, ...] = ()  # the inbound queues they answer as a hotline seat ...
    overflow: tuple[int, ...] = ()  # ... and those they overflow into from their campaign
    confirm: bool = False  # their phone must press 1 to accept (``runner.seats.seat_confirms``)


def release_undialed(session: Session, claimed_by: str) -> int:
    return release_stale_claims(session, utcnow(), claimed_by=claimed_by)


def open_attempts_by_campaign(session: Session, node_id: int) -> dict[int, list[OpenAttempt]]:
    out: dict[int, list[OpenAttempt]] = defaultdict(list)
    seen = to_epoch(last_fact_at(session, node_id))
    for a in open_attempts(session, node_id):
        out[a.campaign_id].append(as_open_attempt(a, seen))
    return dict(out)


def as_open_attempt(a: m.Attempt, seen_at: float | None = None) -> OpenAttempt:
    """The milestones the store recorded. A machine verdict is left out (the call restarts as
    still dialing, so the core never hands a machine to an agent; its outcome may then read
    as unanswered)."""
    machine = a.amd_verdict is AmdVerdict.MACHINE
    uses_amd = a.campaign.amd_enabled and a.campaign.mode is not CampaignMode.PREVIEW
    answered = None if machine else to_epoch(a.answered_at)
    if machine:
        live = None
    elif a.amd_verdict is not None:
        live = to_epoch(a.amd_at)
    else:
        live = None if uses_amd else answered
    return OpenAttempt(attempt_id=str(a.id), channel_id=a.channel_id or "", lead=core_lead(a.lead),
                       started_at=to_epoch(a.originated_at or a.created_at) or 0.0, agent_id=a.agent_id,
                       answered_at=answered, live_at=live, bridged_at=to_epoch(a.bridged_at),
                       seen_at=seen_at, abandoned=a.abandoned)


def logged_in_agents(session: Session, node_id: int) -> list[LoggedIn]:
    """Agents on this node's seats that the store shows logged in, with their campaign and queues.

    An agent an inbound queue holds has no campaign on their open state entry (the queue's
    facts name none): their campaign is the last one their states name, if any.
    """
    rows = session.execute(
        select(m.Agent.id, m.AgentStateLog.campaign_id, m.Seat)
        .join(m.Seat, m.Agent.seat_id == m.Seat.id)
        .join(m.AgentStateLog, (m.AgentStateLog.agent_id == m.Agent.id) & m.AgentStateLog.ended_at.is_(None))
        .where(m.Seat.node_id == node_id, m.Agent.state != AgentState.LOGGED_OUT)
        .order_by(m.Agent.id)
    )
    out = []
    for agent_id, campaign_id, seat in rows:
        hotline, overflow = agent_queues(session, node_id, agent_id)
        if campaign_id is None and not hotline:
            campaign_id = session.scalar(
                select(m.AgentStateLog.campaign_id).where(m.AgentStateLog.agent_id == agent_id,
                                                          m.AgentStateLog.campaign_id.is_not(None))
                .order_by(m.AgentStateLog.started_at.desc()).limit(1))
        if campaign_id is not None or hotline:
            out.append(LoggedIn(agent_id, campaign_id, seat_phone(seat), hotline, overflow,
                                confirm=seat_confirms(seat)))
    return out


#: The outcome of a session whose runner stopped while it ran.
MONITOR_CUT = "the runner restarted: monitoring stopped"


def close_monitor_sessions(session: Session, node_id: int) -> list[str]:
    """End the sessions this node's previous run dialed and never saw end; their team leaders' legs.

    A session not dialed yet (its desk request still pending) is left for the new run to take.
    """
    rows = session.scalars(select(m.MonitorSession).where(
        m.MonitorSession.node_id == node_id, m.MonitorSession.ended_at.is_(None),
        m.MonitorSession.channel_id.is_not(None)))
    legs = []
    for row in rows:
        row.ended_at, row.outcome = utcnow(), MONITOR_CUT
        legs.append(str(row.channel_id))
    return legs
