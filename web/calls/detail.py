"""One call, told as the supervisor asks about it: what happened when, who took it, what came of it.

Everything comes from the rows the runner wrote (the attempt's milestones, the
call, its recordings) and what the agent saved (disposition, notes, order
lines); nothing is re-derived from the PBX. The schema keeps no separate ring
or hold moments: the ring is shown as the span from the originate to the
answer (or to the end), and holds are not shown at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Agent, Attempt, Call, CallTransfer, Order, Recording
from web.messages import N_, Code, Message, Seconds

#: The Q.850 causes calls end with, in words (the PBX logs numbers; a supervisor reads these).
CAUSES: dict[int, str] = {
    0: "unknown",
    1: "unallocated number",
    3: "no route to destination",
    16: "normal clearing",
    17: "user busy",
    18: "no user responding",
    19: "no answer",
    20: "subscriber absent",
    21: "call rejected",
    22: "number changed",
    27: "destination out of order",
    28: "invalid number format",
    31: "normal, unspecified",
    34: "no circuit available",
    38: "network out of order",
    41: "temporary failure",
    42: "switching equipment congestion",
    44: "requested channel not available",
    47: "resource unavailable",
    66: "channel type not implemented",
    127: "interworking, unspecified",
}


def cause_text(cause: int | None) -> str:
    """``16 (normal clearing)``; an unlisted number as itself."""
    if cause is None:
        return "not reported"
    name = CAUSES.get(cause)
    return f"{cause} ({name})" if name else str(cause)


@dataclass(frozen=True)
class Step:
    """One moment of the timeline; ``after_s``: seconds since the call started; ``detail``: what a
    supervisor reads about it, translated by the page (``str()`` is the English)."""

    at: datetime
    what: str
    detail: Message = field(default_factory=lambda: Message(""))
    after_s: float = 0.0


@dataclass
class CallDetail:
    call: Call
    attempt: Attempt | None
    team_id: int | None  # the taking agent's team: what the scope is checked against
    steps: list[Step] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    transfers: list[CallTransfer] = field(default_factory=list)


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() if a is not None and b is not None else None


def _name(agent: Agent | None) -> str | Message:
    return agent.user.username if agent is not None and agent.user is not None else Message(N_("an agent"))


def timeline(call: Call, attempt: Attempt | None, transfers: Sequence[CallTransfer] = ()) -> list[Step]:
    """The call's milestones in time order, each with what a supervisor needs to read it (a transferred
    call: its first bridge was to the first transfer's agent, the call's agent is the last one's)."""
    start = (attempt.originated_at if attempt else None) or call.started_at
    ends: dict[str, object] = {"from": call.caller or Message(N_("number withheld")),
                               "to": call.callee or Message(N_("unknown"))}
    steps: list[tuple[datetime, str, Message]] = [
        (start, "originate" if attempt else "arrived",
         Message(N_("%(from)s → %(to)s on %(node)s"), {**ends, "node": call.node.name})
         if call.node is not None else Message(N_("%(from)s → %(to)s"), ends)),
    ]
    answered = (attempt.answered_at if attempt else None) or call.answered_at
    ended = (attempt.ended_at if attempt else None) or call.ended_at
    ring = _seconds(start, answered or ended)
    if ring is not None and ring > 0:
        steps.append((start, "ring", Message(N_("%(seconds)s s of ringing") if answered
                                             else N_("%(seconds)s s of ringing, never answered"),
                                             {"seconds": Seconds(ring, 1)})))
    if answered is not None:
        steps.append((answered, "answer", Message(N_("after %(seconds)s s"),
                                                  {"seconds": Seconds(_seconds(start, answered) or 0, 1)})))
    if attempt is not None and attempt.amd_at is not None:
        verdict = Code(attempt.amd_verdict.value.lower() if attempt.amd_verdict else "undecided", "amd")
        took = _seconds(answered, attempt.amd_at)
        amd: dict[str, object] = {"verdict": verdict, "cause": attempt.amd_cause or ""}
        if took is not None:
            amd["seconds"] = Seconds(took, 1)
            message = (N_("%(verdict)s (%(cause)s), decided %(seconds)s s after the answer")
                       if attempt.amd_cause else N_("%(verdict)s, decided %(seconds)s s after the answer"))
        else:
            message = N_("%(verdict)s (%(cause)s)") if attempt.amd_cause else N_("%(verdict)s")
        steps.append((attempt.amd_at, "AMD verdict", Message(message, amd)))
    if attempt is not None and attempt.bridged_at is not None:
        who = _name(transfers[0].from_agent if transfers else attempt.agent)
        wait = _seconds(answered, attempt.bridged_at)
        steps.append((attempt.bridged_at, "bridge",
                      Message(N_("to %(agent)s, %(seconds)s s after the answer"),
                              {"agent": who, "seconds": Seconds(wait, 1)}) if wait is not None
                      else Message(N_("to %(agent)s"), {"agent": who})))
    for t in transfers:
        names: dict[str, object] = {"from": _name(t.from_agent), "to": _name(t.to_agent)}
        steps.append((t.at, "transfer", Message(
            N_("from %(from)s to %(to)s (blind); %(from)s's part: %(part)s"),
            {**names, "part": t.from_disposition.label}) if t.from_disposition
            else Message(N_("from %(from)s to %(to)s (blind)"), names)))
    if attempt is not None and attempt.abandoned:
        steps.append((ended or answered or start, "abandoned",
                      Message(N_("answered by a person, no agent was free"))))
    if ended is not None:
        cause = (attempt.hangup_cause if attempt else None)
        cause = call.hangup_cause if cause is None else cause
        talk = _seconds(attempt.bridged_at if attempt else None, ended)
        hangup: dict[str, object] = {"cause": cause_text(cause)}
        if talk is not None:
            hangup["seconds"] = Seconds(talk, 0)
        steps.append((ended, "hangup", Message(N_("cause %(cause)s, %(seconds)s s of talk")
                                               if talk is not None else N_("cause %(cause)s"), hangup)))
    steps.sort(key=lambda s: s[0])
    return [Step(at, what, detail, (at - start).total_seconds()) for at, what, detail in steps]


def call_detail(session: Session, call_id: int) -> CallDetail | None:
    """The call and everything about it; None if there is no such call."""
    call = session.get(Call, call_id)
    if call is None:
        return None
    attempt = call.attempt
    # The call log's agent (``web.calls.services.CALL_AGENT``): the attempt's, else the call's own (inbound).
    agent_id = attempt.agent_id if attempt is not None and attempt.agent_id is not None else call.agent_id
    team_id = None
    if agent_id is not None:
        team_id = session.scalar(select(Agent.team_id).where(Agent.id == agent_id))
    recordings = list(session.scalars(select(Recording).where(Recording.call_id == call.id)
                                      .order_by(Recording.id)))
    orders = list(session.scalars(select(Order).where(Order.attempt_id == attempt.id).order_by(Order.id))
                  ) if attempt is not None else []
    transfers = list(session.scalars(select(CallTransfer).where(CallTransfer.call_id == call.id)
                                     .order_by(CallTransfer.at, CallTransfer.id)))
    steps = timeline(call, attempt, transfers)
    return CallDetail(call, attempt, team_id, steps, recordings, orders, transfers)


def in_scope(detail: CallDetail, teams: frozenset[int] | None) -> bool:
    """The call log's rule: a scoped user sees the calls their teams' agents took (None: every call)."""
    return teams is None or detail.team_id in teams
