"""The complaint path: one step at a time, in order, each by a role that may take it."""

from __future__ import annotations

import pytest

from orchestrator.quality.tickets import PATH, State, StepRefused, check_step, next_state

WHO = {  # a role that may take each step, walking the path
    State.ACCEPTED: "team_leader", State.ASSIGNED: "team_leader", State.SUPERVISED: "supervisor",
    State.FOLLOWED_UP: "team_leader", State.RETURN_VISITED: "supervisor", State.CLOSED: "qa",
}


def test_the_whole_path_in_order():
    state = State.ANSWERED
    for target in PATH[1:]:
        check_step(state, target, WHO[target])
        state = target
    assert next_state(state) is None
    with pytest.raises(StepRefused, match="the ticket is closed: nothing follows"):
        check_step(State.CLOSED, State.ANSWERED, "admin")


@pytest.mark.parametrize(("state", "target", "message"), [
    (State.ACCEPTED, State.CLOSED, "a ticket that is accepted is assigned next, not closed"),
    (State.ASSIGNED, State.ACCEPTED, "a ticket that is assigned is supervised next, not accepted"),
    (State.ANSWERED, State.ANSWERED, "a ticket that is answered is accepted next, not answered"),
])
def test_no_step_is_skipped_or_taken_back(state, target, message):
    with pytest.raises(StepRefused, match=message):
        check_step(state, target, "admin")


def test_roles_and_the_assignee():
    refused = "a team leader cannot mark a ticket supervised: admin, director, qa, supervisor can"
    with pytest.raises(StepRefused, match=refused):
        check_step(State.ASSIGNED, State.SUPERVISED, "team_leader")
    with pytest.raises(StepRefused, match="or the person it is assigned to can"):
        check_step(State.SUPERVISED, State.FOLLOWED_UP, "qa")
    check_step(State.SUPERVISED, State.FOLLOWED_UP, "qa", is_assignee=True)  # the QA inspector assigned
    with pytest.raises(StepRefused, match="an agent cannot mark a ticket accepted"):
        check_step(State.ANSWERED, State.ACCEPTED, "agent")
    with pytest.raises(StepRefused, match="cannot mark a ticket closed"):
        check_step(State.RETURN_VISITED, State.CLOSED, "team_leader", is_assignee=True)


def test_each_step_has_its_sla_and_a_closed_ticket_none():
    from datetime import UTC, datetime, timedelta

    from orchestrator.quality.tickets import SLA, due, overdue

    since = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert set(SLA) == set(PATH) - {State.CLOSED}
    assert due(State.ANSWERED, since) == since + timedelta(hours=4)
    assert not overdue(State.ANSWERED, since, since + timedelta(hours=4))  # due, not late yet
    assert overdue(State.ANSWERED, since, since + timedelta(hours=4, seconds=1))
    assert not overdue(State.ACCEPTED, since, since + timedelta(hours=5))  # 8 h to assign
    assert due(State.CLOSED, since) is None
    assert not overdue(State.CLOSED, since, since + timedelta(days=365))
    assert not overdue(State.ANSWERED, None, since)  # never stamped: no clock to run
