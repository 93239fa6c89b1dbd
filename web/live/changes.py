"""What the live pages show, reduced to a few cheap fingerprints per topic.

No NOTIFY channel exists for the runners' writes (they write rows and commit;
the database is the bus), so the web's one poller per process (``web.live.hub``)
reads these few small, index-backed sets a few times a second and compares
them with the last reading. A topic whose fingerprint moved tells its pages to
fetch their parts again; nothing here renders a page.

Topics: ``board`` (the wallboard: anything below), ``agent:<id>`` (that
agent's panel: their row, their call, their desk requests waiting, the inbound
call on their line), ``campaign:<id>`` (its progress page: its row, the agents on it, its
calls in flight, why it paces as it does, the newest dial anywhere).

Every set read is small whatever the history: agents and campaigns are tens of
rows; open attempts, pending desk requests and open agent states are read
through their partial indexes (``ix_attempts_open``, ``ix_commands_pending``,
``ix_agent_state_log_open``); the newest dial, order
and refund are primary-key or index look-ups; open inbound calls are bounded by
their start time (``calls.started_at`` is indexed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from store.enums import DeskRequestStatus
from store.models import (
    Agent,
    AgentStateLog,
    Attempt,
    Call,
    Campaign,
    DeskRequest,
    Order,
    OrderRefund,
    PacingNote,
)

#: An inbound call still open after this is not looked at any more (no call lasts that long).
INBOUND_HORIZON = timedelta(hours=12)

BOARD = "board"


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


def campaign_topic(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def observe(session: Session, now: datetime) -> dict[str, Hashable]:
    """topic -> fingerprint (equal fingerprints: nothing those pages show has changed)."""
    sets = _read(session, now)
    per_agent: defaultdict[int, list[Hashable]] = defaultdict(list)
    per_campaign: defaultdict[int, list[Hashable]] = defaultdict(list)
    # (set, the column naming the agent, the column naming the campaign): a row goes to both topics.
    for name, agent_col, campaign_col in (
        ("agent", 0, None),
        ("on", None, 1),
        ("attempt", 2, 1),
        ("pending", 1, 2),
        ("inbound", 1, None),
        ("campaign", None, 0),
        ("note", None, 0),
    ):
        for row in sets[name]:
            if agent_col is not None and row[agent_col] is not None:
                per_agent[row[agent_col]].append((name, *row))
            if campaign_col is not None and row[campaign_col] is not None:
                per_campaign[row[campaign_col]].append((name, *row, sets["newest"][0][0]))
    topics: dict[str, Hashable] = {BOARD: tuple(tuple(rows) for rows in sets.values())}
    topics.update({agent_topic(a): tuple(rows) for a, rows in per_agent.items()})
    topics.update({campaign_topic(c): tuple(rows) for c, rows in per_campaign.items()})
    return topics


def _read(session: Session, now: datetime) -> dict[str, Sequence[tuple[Any, ...]]]:
    """The sets the fingerprints are made of, each row as a tuple."""
    queries: dict[str, Select[Any]] = {
        "agent": select(
            Agent.id, Agent.state, Agent.state_reason, Agent.state_since, Agent.seat_id, Agent.team_id
        ).order_by(Agent.id),
        "on": select(  # the open state-log rows: the campaign each agent is on
            AgentStateLog.agent_id, AgentStateLog.campaign_id, AgentStateLog.state, AgentStateLog.reason
        )
        .where(AgentStateLog.ended_at.is_(None))
        .order_by(AgentStateLog.agent_id),
        "attempt": select(
            Attempt.id, Attempt.campaign_id, Attempt.agent_id, Attempt.answered_at, Attempt.bridged_at
        )
        .where(Attempt.ended_at.is_(None))
        .order_by(Attempt.id),
        "pending": select(DeskRequest.id, DeskRequest.agent_id, DeskRequest.campaign_id)
        .where(DeskRequest.status == DeskRequestStatus.PENDING)
        .order_by(DeskRequest.id),
        "inbound": select(Call.id, Call.agent_id, Call.answered_at)
        .where(Call.ended_at.is_(None), Call.attempt_id.is_(None), Call.started_at > now - INBOUND_HORIZON)
        .order_by(Call.id),
        "campaign": select(
            Campaign.id, Campaign.desired_state, Campaign.paused_reason, Campaign.updated_at
        ).order_by(Campaign.id),
        # The note's text, not its time: a runner rewrites an unchanged note every few seconds.
        "note": select(
            PacingNote.campaign_id, PacingNote.node_id, PacingNote.reasons, PacingNote.text
        ).order_by(PacingNote.campaign_id, PacingNote.node_id),
        "newest": select(
            select(func.max(Attempt.created_at)).scalar_subquery(),
            select(func.max(DeskRequest.id)).scalar_subquery(),
            select(func.max(Order.id)).scalar_subquery(),
            select(func.max(OrderRefund.id)).scalar_subquery(),
        ),
    }
    return {name: [tuple(row) for row in session.execute(query)] for name, query in queries.items()}
