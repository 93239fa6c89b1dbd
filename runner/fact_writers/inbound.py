"""Inbound calls through a queue (``orchestrator.inbound.queue``): one ``calls`` row per caller.

The row is made when the caller is queued (or turned away outside business
hours), found again by the PBX's call id (``calls.pbx_call_id``), and gets the
queue's outcome, the wait, the agent and the recording as they happen, so the
call log shows inbound calls next to outbound ones. A queue's id is its
inbound route's id. An answered call of a route with a campaign becomes an
attempt of it (``store.inbound.call_attempt``), which its agent disposes of as
of an outbound call; the attempt ends with the call, its disposition untouched.
inbound route's id. An IVR's callback requests get a row too, its busy callers a count on the
menu, each step of a caller's visit to a menu an ``ivr_events`` row (``orchestrator.inbound.ivr``).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.inbound import ivr
from orchestrator.inbound import queue as q
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m
from store.enums import CallDirection, QueueOutcome
from store.inbound import call_attempt


def _seconds(value: float) -> Decimal:
    return Decimal(f"{max(0.0, value):.3f}")


def _update_call(s: Session, call_id: str, **values: object) -> None:
    s.execute(update(m.Call).where(m.Call.pbx_call_id == call_id, m.Call.direction == CallDirection.INBOUND)
              .values(**values), execution_options={"synchronize_session": False})


def _new_call(to: Target, s: Session, at: float, queue_id: int, call_id: str, caller: str, dialed: str,
              **values: object) -> None:
    s.add(m.Call(direction=CallDirection.INBOUND, node_id=to.node_id, caller=caller[:64], callee=dialed[:64],
                 started_at=to_dt(at), pbx_call_id=call_id[:64],
                 route_id=queue_id if s.get(m.InboundRoute, queue_id) is not None else None, **values))


@writes(q.CallerQueued)
def queued(to: Target, s: Session, fact: q.CallerQueued) -> None:
    _new_call(to, s, fact.at, fact.queue_id, fact.call_id, fact.caller_number, fact.dialed_number)


@writes(q.CallerTurnedAway)
def turned_away(to: Target, s: Session, fact: q.CallerTurnedAway) -> None:
    _new_call(to, s, fact.at, fact.queue_id, fact.call_id, fact.caller_number, fact.dialed_number,
              queue_outcome=QueueOutcome.CLOSED, ended_at=to_dt(fact.at))


@writes(q.CallerMoved)
def moved(to: Target, s: Session, fact: q.CallerMoved) -> None:
    """Nothing to keep: a position is for the caller's prompt, and the wait is kept when it ends."""


@writes(q.OverflowReserved)
def reserved(to: Target, s: Session, fact: q.OverflowReserved) -> None:
    """Nothing to keep: a reservation lives in the node's pool; taking the agent shows in their states."""


@writes(q.OverflowReleased)
def released(to: Target, s: Session, fact: q.OverflowReleased) -> None:
    """Nothing to keep (see :func:`reserved`)."""


def _recording(to: Target, s: Session, call_id: str, path: str, at: float) -> None:
    """The call's recording, started at ``at`` (``path``: relative to the node's recording directory)."""
    row = s.scalar(select(m.Call.id).where(m.Call.pbx_call_id == call_id))
    s.add(m.Recording(call_id=row, node_id=to.node_id, path=path, started_at=to_dt(at)))


def _ended(s: Session, call_id: str, at: float, recorded_s: float) -> None:
    """The call, its recording and its attempt ended at ``at``, ``recorded_s`` after the recording
    started (only the end: a disposition given during the call stays)."""
    _update_call(s, call_id, ended_at=to_dt(at))
    row = s.scalar(select(m.Call).where(m.Call.pbx_call_id == call_id))
    if row is not None:
        s.execute(update(m.Recording).where(m.Recording.call_id == row.id)
                  .values(ended_at=to_dt(at), duration_s=_seconds(recorded_s)),
                  execution_options={"synchronize_session": False})
        if row.attempt_id is not None:
            s.execute(update(m.Attempt).where(m.Attempt.id == row.attempt_id).values(ended_at=to_dt(at)),
                      execution_options={"synchronize_session": False})


@writes(q.CallerAnswered)
def answered(to: Target, s: Session, fact: q.CallerAnswered) -> None:
    outcome = QueueOutcome.OVERFLOW if fact.overflow else QueueOutcome.ANSWERED
    _update_call(s, fact.call_id, answered_at=to_dt(fact.at), agent_id=fact.agent_id, queue_outcome=outcome,
                 queue_wait_s=_seconds(fact.waited_s))
    call = s.scalar(select(m.Call).where(m.Call.pbx_call_id == fact.call_id,
                                         m.Call.direction == CallDirection.INBOUND))
    if call is not None:
        s.refresh(call)  # the update above went around the session
        call_attempt(s, call, to_dt(fact.at))
    if fact.recording:
        _recording(to, s, fact.call_id, fact.recording, fact.at)


@writes(q.CallerEnded)
def ended(to: Target, s: Session, fact: q.CallerEnded) -> None:
    _ended(s, fact.call_id, fact.at, fact.talk_s)


@writes(q.CallerAbandoned)
def abandoned(to: Target, s: Session, fact: q.CallerAbandoned) -> None:
    _update_call(s, fact.call_id, ended_at=to_dt(fact.at), queue_outcome=QueueOutcome.ABANDONED,
                 queue_wait_s=_seconds(fact.waited_s))


@writes(q.CallerSentOn)
def sent_on(to: Target, s: Session, fact: q.CallerSentOn) -> None:
    """Voicemail or a callback request: the call waits for a follow-up (Inbound → Missed callers). It
    ends here as far as the queue goes; ``left`` moves the end to the caller's hang-up."""
    outcome = QueueOutcome.VOICEMAIL if fact.to is q.MaxWait.VOICEMAIL else QueueOutcome.CALLBACK
    _update_call(s, fact.call_id, ended_at=to_dt(fact.at), queue_outcome=outcome,
                 queue_wait_s=_seconds(fact.waited_s))
    if fact.recording:
        _recording(to, s, fact.call_id, fact.recording, fact.at)


@writes(q.CallerLeft)
def left(to: Target, s: Session, fact: q.CallerLeft) -> None:
    _ended(s, fact.call_id, fact.at, fact.stayed_s)


@writes(ivr.IvrBusy)
def ivr_busy(to: Target, s: Session, fact: ivr.IvrBusy) -> None:
    """One more caller turned away by the IVR's channel limit (shown on the IVR page)."""
    s.execute(update(m.IvrMenu).where(m.IvrMenu.id == fact.menu_id)
              .values(busy_count=m.IvrMenu.busy_count + 1), execution_options={"synchronize_session": False})


@writes(ivr.IvrCallbackAsked)
def ivr_callback(to: Target, s: Session, fact: ivr.IvrCallbackAsked) -> None:
    """A callback request from the IVR: an inbound call of the route the caller dialed, listed under
    Missed callers until followed up (as a queue's callback request)."""
    route = s.scalar(select(m.InboundRoute.id).where(m.InboundRoute.did == fact.called))
    s.add(m.Call(direction=CallDirection.INBOUND, node_id=to.node_id, caller=fact.caller_number[:64],
                 callee=fact.called[:64], started_at=to_dt(fact.at), ended_at=to_dt(fact.at),
                 pbx_call_id=fact.call_id[:64], route_id=route, queue_outcome=QueueOutcome.CALLBACK))


@writes(ivr.IvrMenuEvent)
def ivr_menu_event(to: Target, s: Session, fact: ivr.IvrMenuEvent) -> None:
    """A step of a caller's visit to a menu, counted per option in the reports; a menu deleted since
    (or one no menu has) is not kept, so the facts stored with it still are."""
    if s.get(m.IvrMenu, fact.menu_id) is None:
        return
    s.add(m.IvrEvent(at=to_dt(fact.at), menu_id=fact.menu_id, call_id=fact.call_id[:64], step=fact.step.value,
                     key=fact.key, go=fact.go, target=fact.to))
