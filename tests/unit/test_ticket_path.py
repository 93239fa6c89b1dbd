"""The complaint path: one step at a time, in order, each by a role that may take it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from orchestrator.quality.tickets import (
    PATH,
    Escalation,
    EscalationPolicy,
    State,
    StepRefused,
    check_step,
    escalate_to,
    escalation_due,
    next_state,
)
from switchboard.cli import main

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


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_overdue_step_goes_to_the_team_leader_then_after_the_further_period_to_the_director():
    """Assigned: 24 h to be supervised (``SLA``); the director 24 h after that by default, 6 h when the
    step says so; a closed ticket is never escalated."""
    policy = EscalationPolicy.parse(24, "assigned=6")
    hours = {h: escalation_due(State.ASSIGNED, T0, T0 + timedelta(hours=h), policy)
             for h in (23, 25, 30, 31)}
    assert hours == {23: None, 25: Escalation.TEAM_LEADER, 30: Escalation.TEAM_LEADER,
                     31: Escalation.DIRECTOR}
    assert escalation_due(State.ACCEPTED, T0, T0 + timedelta(hours=31), policy) is Escalation.TEAM_LEADER
    assert escalation_due(State.ACCEPTED, T0, T0 + timedelta(hours=33), policy) is Escalation.DIRECTOR
    assert escalation_due(State.CLOSED, T0, T0 + timedelta(days=400), policy) is None


def test_escalation_only_rises_and_skips_a_missing_team_leader():
    assert escalate_to(None, Escalation.TEAM_LEADER) is Escalation.TEAM_LEADER
    assert escalate_to(Escalation.TEAM_LEADER, Escalation.TEAM_LEADER) is None  # done already: idempotent
    assert escalate_to(Escalation.TEAM_LEADER, Escalation.DIRECTOR) is Escalation.DIRECTOR
    assert escalate_to(Escalation.DIRECTOR, Escalation.TEAM_LEADER) is None
    assert escalate_to(None, None) is None
    assert escalate_to(None, Escalation.TEAM_LEADER, has_leader=False) is Escalation.DIRECTOR


@pytest.mark.parametrize(("hours", "steps", "message"), [
    (0, "", "must be more than 0"),
    (24, "accepted", "write step=hours"),
    (24, "acepted=3", "write step=hours"),
    (24, "closed=3", "a closed ticket is never escalated"),
    (24, "accepted=-1", "hours must be more than 0"),
])
def test_a_bad_escalation_setting_says_what_is_wrong(hours, steps, message):
    with pytest.raises(ValueError, match=message):
        EscalationPolicy.parse(hours, steps)


def test_the_scheduler_refuses_to_start_on_a_bad_escalation_setting(tmp_path):
    result = CliRunner().invoke(main, ["scheduler"], env={
        "SWITCHBOARD_INSTANCE_DIR": str(tmp_path), "SWITCHBOARD_TICKET_DIRECTOR_AFTER_STEPS": "closed=3"})
    assert result.exit_code == 2
    assert "'closed=3': a closed ticket is never escalated" in result.output
