"""Complaint tickets: the one path a complaint follows, and who may move it along each step.

The reference customer's path (issue 14) is fixed: answered (the complaint is taken) → accepted →
assigned (to a person or a department) → supervised → followed up → return visit done → closed.
No step is skipped and none goes back, so every closed ticket has been through each of them,
each stamped with who and when (the store keeps one event per step). Who may take a step is a
table of role names (the web's ``UserRole`` values; the core knows no store): the person the
ticket is assigned to may also take the steps that are theirs (follow-up, return visit).

A ticket overdue on its step is escalated (:func:`escalation_due`): at once to the team leader, and
to the director once it has stayed overdue for a further period (:class:`EscalationPolicy`, one for
every step or its own per step). Taking the step ends the escalation: the next step's SLA starts anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    ANSWERED = "answered"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    SUPERVISED = "supervised"
    FOLLOWED_UP = "followed_up"
    RETURN_VISITED = "return_visited"
    CLOSED = "closed"


PATH = tuple(State)

_LEADS = frozenset({"team_leader", "supervisor", "director", "admin"})
#: Who may move a ticket into each state (role names).
MAY = {
    # Who opens a ticket; an agent only about a call they took, from their panel (the web checks the call).
    State.ANSWERED: _LEADS | {"qa", "agent"},
    State.ACCEPTED: _LEADS | {"qa"},
    State.ASSIGNED: _LEADS,
    State.SUPERVISED: frozenset({"supervisor", "qa", "director", "admin"}),
    State.FOLLOWED_UP: _LEADS,
    State.RETURN_VISITED: _LEADS,
    State.CLOSED: frozenset({"supervisor", "qa", "director", "admin"}),
}
#: Steps the ticket's assignee takes whatever their role: they do the work.
ASSIGNEE_STEPS = frozenset({State.FOLLOWED_UP, State.RETURN_VISITED})

LABEL = {
    State.ANSWERED: "answered", State.ACCEPTED: "accepted", State.ASSIGNED: "assigned",
    State.SUPERVISED: "supervised", State.FOLLOWED_UP: "followed up",
    State.RETURN_VISITED: "return visit done", State.CLOSED: "closed",
}


#: How long a ticket may wait in each state for its next step (the reference customer's service levels:
#: a complaint is accepted within the working morning, assigned the same day, the return visit done
#: within the week); a closed ticket waits for nothing.
SLA = {
    State.ANSWERED: timedelta(hours=4),
    State.ACCEPTED: timedelta(hours=8),
    State.ASSIGNED: timedelta(hours=24),
    State.SUPERVISED: timedelta(hours=48),
    State.FOLLOWED_UP: timedelta(hours=72),
    State.RETURN_VISITED: timedelta(hours=24),
}


def due(state: State, since: datetime) -> datetime | None:
    """When the next step of a ticket that entered ``state`` at ``since`` is due (None: closed)."""
    limit = SLA.get(state)
    return since + limit if limit is not None else None


def overdue(state: State, since: datetime | None, now: datetime) -> bool:
    """Whether the ticket has waited in ``state`` longer than its step's SLA."""
    at = due(state, since) if since is not None else None
    return at is not None and at < now


class StepRefused(ValueError):
    """A step out of order or by a role that may not take it; the message says which and who may."""


def next_state(state: State) -> State | None:
    i = PATH.index(state)
    return PATH[i + 1] if i + 1 < len(PATH) else None


def may(target: State, role: str, is_assignee: bool = False) -> bool:
    return role in MAY[target] or (is_assignee and target in ASSIGNEE_STEPS)


def check_step(state: State, target: State, role: str, is_assignee: bool = False) -> None:
    """Raise ``StepRefused`` unless ``role`` may move a ticket in ``state`` to ``target`` now."""
    after = next_state(state)
    if after is None:
        raise StepRefused(f"the ticket is {LABEL[state]}: nothing follows")
    if target is not after:
        raise StepRefused(f"a ticket that is {LABEL[state]} is {LABEL[after]} next, not {LABEL[target]}")
    if not may(target, role, is_assignee):
        allowed = ", ".join(sorted(r.replace("_", " ") for r in MAY[target]))
        extra = " or the person it is assigned to" if target in ASSIGNEE_STEPS else ""
        who = role.replace("_", " ")
        article = "an" if who[:1] in ("a", "e", "i", "o", "u") else "a"
        raise StepRefused(f"{article} {who} cannot mark a ticket {LABEL[target]}: "
                          f"{allowed}{extra} can")


class Escalation(StrEnum):
    """Who an overdue ticket has been escalated to, in order (a level is never taken back on one step)."""

    TEAM_LEADER = "team_leader"
    DIRECTOR = "director"


ESCALATIONS = tuple(Escalation)
#: How long a step may stay overdue (its team leader told) before the director is told too.
DIRECTOR_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class EscalationPolicy:
    """The further period before the director hears of an overdue ticket: ``director_after`` for every
    step, unless ``per_step`` names the step."""

    director_after: timedelta = DIRECTOR_AFTER
    per_step: Mapping[State, timedelta] = field(default_factory=dict)

    def after(self, state: State) -> timedelta:
        return self.per_step.get(state, self.director_after)

    @classmethod
    def parse(cls, hours: float, steps: str) -> EscalationPolicy:
        """From settings: the global hours and ``"accepted=4, assigned=12"`` (hours per step; "" none).

        Raises ``ValueError`` saying what is wrong, so a typo stops the process at start, not a
        ticket at night."""
        if hours <= 0:
            raise ValueError("the hours before a ticket is escalated to the director must be more than 0")
        per_step: dict[State, timedelta] = {}
        for part in filter(None, (p.strip() for p in steps.split(","))):
            name, _, value = part.partition("=")
            try:
                state = State(name.strip())
                limit = float(value)
            except ValueError:
                raise ValueError(f"{part!r}: write step=hours, a step one of "
                                 f"{', '.join(s.value for s in SLA)}") from None
            if state not in SLA or limit <= 0:
                raise ValueError(f"{part!r}: a closed ticket is never escalated, "
                                 "and hours must be more than 0")
            per_step[state] = timedelta(hours=limit)
        return cls(timedelta(hours=hours), per_step)


def escalation_due(state: State, since: datetime | None, now: datetime,
                   policy: EscalationPolicy) -> Escalation | None:
    """Who should know of a ticket that entered ``state`` at ``since``: nobody while it is on time, the
    team leader once overdue, the director once overdue for the policy's further period too."""
    at = due(state, since) if since is not None else None
    if at is None or at >= now:
        return None
    return Escalation.DIRECTOR if now > at + policy.after(state) else Escalation.TEAM_LEADER


def escalate_to(current: Escalation | None, wanted: Escalation | None, has_leader: bool = True
                ) -> Escalation | None:
    """The level to raise a ticket to now, or None: nothing to do (already there or above, on time).

    A ticket with no team leader to tell (no team, a team without a leader, or the leader is the one
    it waits for) goes to the director at once: an overdue complaint must reach somebody."""
    if wanted is Escalation.TEAM_LEADER and not has_leader:
        wanted = Escalation.DIRECTOR
    if wanted is None or (current is not None and ESCALATIONS.index(current) >= ESCALATIONS.index(wanted)):
        return None
    return wanted
