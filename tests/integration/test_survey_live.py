"""The post-call satisfaction survey on each PBX of the sandbox (issue 14 item 4).

A hotline route asks the survey (a first answer below 3 opens a complaint). The world calls it, the
hotline seat answers (bridged to its held-open leg), then the agent ends the call from the panel (the
desk request the panel's "End call" writes): the caller is not hung up but sent out of the bridge
to ``sb-survey``, where the world presses 2 on its keypad. The answer is stored with the call and
the agent, and because 2 is below the threshold a complaint ticket is open about that call, its
first step stamped and audited as opened by the survey. The agent is free again meanwhile.
Then the same for an outbound campaign's customer (a world human who never hangs up on their own),
on the same runner: the campaign's call, its agent, 2, a ticket.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from lab.campaign import AmiWatcher, random_area_code, world_inbound
from lab.sandbox.calls import call_in, hang_up, press
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from store import desk_queue
from store import models as m
from store.enums import AgentState, CampaignMode, DeskCommand, PbxKind
from tests.integration.campaign_kit import BOTH_PBXES, Kit, kit_on

pytestmark = [pytest.mark.sandbox]

PHONES = 2  # agent003 (fsagent003): a phone the campaign tests leave alone
DID = {PbxKind.ASTERISK: "14005550406", PbxKind.FREESWITCH: "14005550407"}
CALLER = "12125550161"


def _survey(s) -> m.SurveyAnswer | None:
    return s.scalar(select(m.SurveyAnswer).order_by(m.SurveyAnswer.id.desc()).limit(1))


def _end_call(kit: Kit, agent_id: int) -> None:
    """What the agent panel's "End call" writes."""
    with kit.sessions.begin() as s:
        desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.END_CALL, node_id=kit.node_id,
                                            agent_id=agent_id))


def _check_ticket(kit: Kit, row_id: int, call_id: int, agent_id: int, phone: str) -> None:
    """2 is below the threshold of 3: a complaint about the call, opened and audited as by the survey."""
    with kit.sessions() as s:
        row = s.get(m.SurveyAnswer, row_id)
        ticket = s.get(m.Ticket, row.ticket_id)
        assert ticket is not None
        assert (ticket.call_id, ticket.agent_id, ticket.phone) == (call_id, agent_id, phone)
        assert (ticket.state.value, ticket.created_by_id) == ("answered", None)
        assert [e.note for e in ticket.events] == ["opened by the survey"]
        audit = s.scalar(select(m.AuditLog).where(m.AuditLog.target_type == "ticket",
                                                  m.AuditLog.target_id == str(ticket.id)))
        assert (audit.actor, audit.action, audit.details["by"]) == ("survey", "ticket.open", "survey")


def _press_until_answered(kit: Kit, channel: str, runner) -> None:
    """The caller presses 2 about once a second until the survey has their answer: the key may come
    before the PBX listens for it (the redirect and the prompt's start take a moment), as a person
    presses again when nothing happens. Bounded: a survey that never hears it fails the wait."""
    for _ in range(12):
        with kit.sessions() as s:
            row = _survey(s)
            if row is not None and row.answered_at is not None:
                return
        assert runner.alive(), runner.tail(40)
        press(kit.sandbox.world, channel, "2")
        time.sleep(1.0)
    raise AssertionError(f"the survey never got the caller's key\n{runner.tail(60)}")


@BOTH_PBXES
def test_the_caller_rates_the_call_after_the_agent_ends_it_and_a_low_score_opens_a_ticket(
        sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    [agent_id] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-survey", [DID[kind]])
        s.add(m.InboundRoute(name="survey hotline", did=DID[kind], trunk_id=trunk.id,
                             hotline_agent_ids=[agent_id], max_wait_s=30, record_calls=False,
                             survey_enabled=True, survey_low_below=3))
    runner = kit.runner()
    runner.start()
    channel = ""
    try:
        # The caller first, then the seat: a caller bridged in the moment the queue takes them out of
        # sb-inbound races their own answer in sb-queue-wait on FreeSWITCH; waiting, they are answered.
        kit.wait_for("the runner hosts the queue",
                     lambda _s: "inbound queue hosted" in runner.tail(1000), runner, timeout=10)
        channel = call_in(kit.sandbox.world, kind, DID[kind], CALLER, name="Survey Caller")
        kit.wait_for("the caller waits in the queue", lambda s: s.scalar(
            select(m.Call.id).where(m.Call.caller == CALLER)) is not None, runner, timeout=10)
        with kit.sessions.begin() as s:
            desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id,
                                                agent_id=agent_id))
        kit.wait_for("the seat logs in and answers",
                     lambda s: s.get(m.Agent, agent_id).state is AgentState.ON_CALL, runner, timeout=15)
        _end_call(kit, agent_id)
        kit.wait_for("the caller is sent to the survey", lambda s: _survey(s) is not None, runner, timeout=10)
        _press_until_answered(kit, channel, runner)
        with kit.sessions() as s:
            call = s.scalar(select(m.Call).where(m.Call.caller == CALLER))
            row = _survey(s)
            assert (row.score, row.second, row.agent_id, row.call_id) == (2, None, agent_id, call.id)
            assert call.agent_id == agent_id
            assert (row.route_id is not None, row.campaign_id) == (True, None)
            # The survey held no agent: the seat's call ended when they ended it.
            assert s.get(m.Agent, agent_id).state is not AgentState.ON_CALL
        _check_ticket(kit, row.id, call.id, agent_id, CALLER)
        _outbound(kit, runner)
    finally:
        if channel:
            hang_up(kit.sandbox.world, channel)
        runner.stop()
        print(runner.tail(40))
    kit.close()


def _outbound(kit: Kit, runner) -> None:
    """A progressive campaign that asks the survey calls a world human (no AMD: bridged at the answer)."""
    number = world_number(World.HUMAN, 0, 1, area_code=random_area_code())
    [agent_id] = kit.agents(1, first=PHONES + 1)
    with AmiWatcher(kit.sandbox.world) as world:
        campaign_id = kit.campaign("survey campaign", CampaignMode.PROGRESSIVE, {number: World.HUMAN},
                                   amd_enabled=False, record_calls=False, survey_enabled=True)
        kit.wait_for("the campaign's customer is bridged to the agent",
                     lambda s: s.get(m.Agent, agent_id).state is AgentState.ON_CALL, runner, timeout=20)
        [channel] = [e["Uniqueid"] for e in world_inbound(world, {number, number.lstrip("+")})]
        _end_call(kit, agent_id)
        kit.wait_for("the customer is sent to the survey", lambda s: s.scalar(select(m.SurveyAnswer.id).where(
            m.SurveyAnswer.campaign_id == campaign_id)) is not None, runner, timeout=10)
        try:
            _press_until_answered(kit, channel, runner)
        finally:
            hang_up(kit.sandbox.world, channel)
    with kit.sessions() as s:
        row = _survey(s)
        call = s.get(m.Call, row.call_id)
        assert (row.score, row.agent_id, row.campaign_id, row.attempt_id) == (2, agent_id, campaign_id,
                                                                             call.attempt_id)
        assert s.scalar(select(m.Attempt.agent_id).where(m.Attempt.id == call.attempt_id)) == agent_id
        phone = call.callee
    _check_ticket(kit, row.id, call.id, agent_id, phone)
