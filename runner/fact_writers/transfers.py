"""Blind transfers (``orchestrator.node.transfer``): the ``call_transfers`` row, the call's new agent,
and a refused request's reason.

A transfer done makes the receiving agent the call's agent (``attempts.agent_id`` of a campaign
call, ``calls.agent_id`` of an inbound one), which is what pops the call on their panel and puts
its disposition in their hands; the row keeps who had it before and when it moved (the call
detail timeline). A refused one fails its desk request with the reason the agent reads.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import desk_queue
from store import models as m
from store.enums import CallDirection


@writes(f.CallTransferred)
def transferred(to: Target, s: Session, fact: f.CallTransferred) -> None:
    if fact.attempt_id:
        call = s.scalar(select(m.Call).where(m.Call.attempt_id == uuid.UUID(fact.attempt_id)))
    else:
        call = s.scalar(select(m.Call).where(m.Call.pbx_call_id == fact.call_id,
                                             m.Call.direction == CallDirection.INBOUND))
    attempt_id = uuid.UUID(fact.attempt_id) if fact.attempt_id else (call.attempt_id if call else None)
    if attempt_id is not None:
        s.execute(update(m.Attempt).where(m.Attempt.id == attempt_id).values(agent_id=fact.to_agent_id),
                  execution_options={"synchronize_session": False})
    if call is not None and call.direction is CallDirection.INBOUND:
        call.agent_id = fact.to_agent_id
    request = s.get(m.DeskRequest, fact.request_id)
    s.add(m.CallTransfer(call_id=call.id if call else None, attempt_id=attempt_id, node_id=to.node_id,
                         from_agent_id=fact.from_agent_id, to_agent_id=fact.to_agent_id, at=to_dt(fact.at),
                         request_id=request.id if request else None))


@writes(f.TransferRefused)
def refused(to: Target, s: Session, fact: f.TransferRefused) -> None:
    request = s.get(m.DeskRequest, fact.request_id)
    if request is not None:
        desk_queue.finish(s, request, to_dt(fact.at), error=f"transfer: {fact.reason}")
