"""The post-call satisfaction survey on each PBX of the sandbox (issue 14 item 4).

A hotline route asks the survey (a first answer below 3 opens a complaint). The world calls it, the
hotline seat answers (bridged to its held-open leg), then the agent's side of the call ends, one of
two ways: the agent ends the call from the panel (the desk request the panel's "End call" writes),
or the agent just puts their phone down (the world's phone hangs up the node's leg to it). Either
way the caller is not hung up but sent to ``sb-survey``, where the world presses a key. The answer is
stored with the call and the agent; a 2, below the threshold, opens a complaint ticket about that
call, its first step stamped and audited as opened by the survey. The agent is free again
meanwhile. Then the same for an outbound campaign's customer (a world human who never hangs up on
their own), on the same runner: the campaign's call, its agent, the key, a ticket or none."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from lab.campaign import AmiWatcher, RunnerProcess, random_area_code, world_inbound
from lab.sandbox.calls import answered, call_in, hang_up, press
from lab.sandbox.credentials import fs_phone_credentials, phone_credentials
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from orchestrator.quality.survey import prompt_name
from store import desk_queue
from store import models as m
from store.enums import AgentState, CampaignMode, DeskCommand, PbxKind, UserRole
from tests.integration.campaign_kit import BOTH_PBXES, Kit, PbxEvidence, kit_on, pbx_evidence, web_client
from tests.integration.test_ivr_live import prompt

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


def _press_until_answered(kit: Kit, channel: str, runner, key: str = "2") -> None:
    """The caller presses ``key`` about once a second until the survey has their answer: the key may
    come before the PBX listens for it (the redirect and the prompt's start take a moment), as a
    person presses again when nothing happens. Bounded: a survey that never hears it fails the wait."""
    for _ in range(12):
        with kit.sessions() as s:
            row = _survey(s)
            if row is not None and row.answered_at is not None:
                return
        assert runner.alive(), runner.tail(40)
        press(kit.sandbox.world, channel, key)
        time.sleep(1.0)
    raise AssertionError(f"the survey never got the caller's key\n{runner.tail(60)}")


#: How the agent's side of the call ends: (kit, the world's events, agent id, their phone's index).
Ending = Callable[[Kit, AmiWatcher, int, int], None]
#: What each survey answer is checked against after the common checks: (kit, answer row, call row).
Check = Callable[[Kit, m.SurveyAnswer, m.Call], None]


def _by_panel(kit: Kit, _world: AmiWatcher, agent_id: int, _phone: int) -> None:
    _end_call(kit, agent_id)


def _phone_of(kit: Kit, index: int) -> str:
    """The extension of the ``index``-th sandbox phone on the kit's PBX (``agent003``, ``fsagent003``)."""
    phones = fs_phone_credentials if kit.kind is PbxKind.FREESWITCH else phone_credentials
    return phones(kit.sandbox.settings)[index].extension


def _put_down(kit: Kit, world: AmiWatcher, _agent_id: int, phone: int) -> None:
    """The agent puts their phone down: the world's phone hangs up its call from the node (the
    held-open leg the customer is bridged to), as a person replacing the handset does."""
    extension = _phone_of(kit, phone)
    names = {extension, extension.removeprefix("fs")}  # fsagentNNN rings the world's agentNNN
    legs = world.matching(lambda e: e.get("Event") == "Newchannel" and e.get("Context") == "world-in"
                          and e.get("Exten") in names)
    assert legs, f"the world never got a call for the phone {extension}"
    hang_up(kit.sandbox.world, legs[-1]["Uniqueid"])


def _hotline_then_campaign(sandbox, tmp_path, kind: PbxKind, end: Ending, key: str, check: Check) -> None:
    """A hotline route that asks the survey (a first answer below 3 opens a complaint): the world
    calls it, the hotline seat answers (bridged to its held-open leg), the call's agent side ends
    (``end``), the caller is sent to ``sb-survey`` and presses ``key``. Then the same for an
    outbound campaign's customer on the same runner. Each answer is stored with its call and agent,
    the survey held no agent (their call ended when they left it), then ``check`` has its say."""
    kit = kit_on(sandbox, tmp_path, kind)
    [agent_id] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-survey", [DID[kind]])
        s.add(m.InboundRoute(name="survey hotline", did=DID[kind], trunk_id=trunk.id,
                             hotline_agent_ids=[agent_id], max_wait_s=30, record_calls=False,
                             survey_enabled=True, survey_low_below=3))
    # The node's routes are this tree's: kit_on's sandbox "up" rewrites its static dialplan.
    with pbx_evidence(kit) as pbx, _running(kit) as runner:
        _hotline_call(kit, kind, runner, pbx, agent_id, end, key, check)
        _outbound(kit, runner, pbx, end, key, check)
    kit.close()


def _bridged(kit: Kit, pbx: PbxEvidence, before: int, runner: RunnerProcess) -> None:
    """The PBX has put the customer through to the agent (the agent is ON_CALL as soon as the runner
    sends the bridge): they talk, then the agent's side ends. A caller is answered before a seat
    logs in: a caller bridged in the moment the queue takes them out of sb-inbound races their own
    answer in sb-queue-wait on FreeSWITCH (the PBX refuses the bridge)."""
    kit.wait_for("the PBX bridges the customer and the agent", lambda _s: pbx.bridges() > before, runner,
                 timeout=10)


@contextmanager
def _running(kit: Kit) -> Iterator[RunnerProcess]:
    """The kit's runner, started, stopped at the end."""
    runner = kit.runner()
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()
        print(runner.tail(40))


def _hotline_call(kit: Kit, kind: PbxKind, runner: RunnerProcess, pbx: PbxEvidence, agent_id: int,
                  end: Ending, key: str, check: Check) -> None:
    """The world calls the hotline, the seat answers, its side ends (``end``), the caller presses ``key``."""
    channel = ""
    try:
        with AmiWatcher(kit.sandbox.world) as world:
            # The caller first, then the seat: a caller bridged in the moment the queue takes them out
            # of sb-inbound races their own answer in sb-queue-wait on FreeSWITCH; waiting, they are
            # answered.
            kit.wait_for("the runner hosts the queue",
                         lambda _s: "inbound queue hosted" in runner.tail(1000), runner, timeout=10)
            channel = call_in(kit.sandbox.world, kind, DID[kind], CALLER, name="Survey Caller")
            kit.wait_for("the caller waits in the queue", lambda s: s.scalar(
                select(m.Call.id).where(m.Call.caller == CALLER)) is not None, runner, timeout=10)
            # Answered (in sb-queue-wait) before a seat is there: see _bridged.
            kit.wait_for("the node answers the caller", lambda _s: answered(kit.sandbox.world, channel),
                         runner, timeout=10)
            bridges = pbx.bridges()
            with kit.sessions.begin() as s:
                desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id,
                                                    agent_id=agent_id))
            kit.wait_for("the seat logs in and answers",
                         lambda s: s.get(m.Agent, agent_id).state is AgentState.ON_CALL, runner, timeout=15)
            _bridged(kit, pbx, bridges, runner)
            end(kit, world, agent_id, PHONES)
            kit.wait_for("the caller is sent to the survey", lambda s: _survey(s) is not None, runner,
                         timeout=10)
            _press_until_answered(kit, channel, runner, key)
        with kit.sessions() as s:
            call = s.scalar(select(m.Call).where(m.Call.caller == CALLER))
            row = _survey(s)
            assert (row.score, row.second, row.agent_id, row.call_id) == (int(key), None, agent_id, call.id)
            assert (call.agent_id, call.ended_at is not None) == (agent_id, True)
            assert (row.route_id is not None, row.campaign_id) == (True, None)
            assert s.get(m.Agent, agent_id).state is not AgentState.ON_CALL
            check(kit, row, call)
    finally:
        if channel:
            hang_up(kit.sandbox.world, channel)


def _outbound(kit: Kit, runner, pbx: PbxEvidence, end: Ending, key: str, check: Check) -> None:
    """A progressive campaign that asks the survey calls a world human (no AMD: bridged at the answer)."""
    number = world_number(World.HUMAN, 0, 1, area_code=random_area_code())
    [agent_id] = kit.agents(1, first=PHONES + 1)
    bridges = pbx.bridges()
    with AmiWatcher(kit.sandbox.world) as world:
        campaign_id = kit.campaign("survey campaign", CampaignMode.PROGRESSIVE, {number: World.HUMAN},
                                   amd_enabled=False, record_calls=False, survey_enabled=True)
        kit.wait_for("the campaign's customer is bridged to the agent",
                     lambda s: s.get(m.Agent, agent_id).state is AgentState.ON_CALL, runner, timeout=20)
        _bridged(kit, pbx, bridges, runner)
        [channel] = [e["Uniqueid"] for e in world_inbound(world, {number, number.lstrip("+")})]
        try:
            end(kit, world, agent_id, PHONES + 1)
            kit.wait_for("the customer is sent to the survey", lambda s: s.scalar(
                select(m.SurveyAnswer.id).where(m.SurveyAnswer.campaign_id == campaign_id)) is not None,
                runner, timeout=10)
            _press_until_answered(kit, channel, runner, key)
        finally:
            hang_up(kit.sandbox.world, channel)
    with kit.sessions() as s:
        row = _survey(s)
        call = s.get(m.Call, row.call_id)
        attempt = s.get(m.Attempt, call.attempt_id)
        assert (row.score, row.agent_id, row.campaign_id) == (int(key), agent_id, campaign_id)
        assert (row.attempt_id, attempt.agent_id) == (attempt.id, agent_id)
        # Straight from the agent to the survey: not through the abandon message (where a customer
        # whose bridge ended resumed on Asterisk before the mark).
        assert not pbx.abandon_heard(attempt.channel_id)
        assert (attempt.outcome.value, attempt.ended_at is not None) == ("connected", True)
        assert s.get(m.Agent, agent_id).state is not AgentState.ON_CALL
        check(kit, row, call)


def _complaint(kit: Kit, row: m.SurveyAnswer, call: m.Call) -> None:
    _check_ticket(kit, row.id, call.id, row.agent_id, call.caller if call.route_id else call.callee)


def _no_complaint(_kit: Kit, row: m.SurveyAnswer, _call: m.Call) -> None:
    assert row.ticket_id is None  # 4 is not below 3


@BOTH_PBXES
def test_the_caller_rates_the_call_after_the_agent_ends_it_and_a_low_score_opens_a_ticket(
        sandbox, tmp_path, kind):
    _hotline_then_campaign(sandbox, tmp_path, kind, _by_panel, "2", _complaint)


@BOTH_PBXES
def test_the_customer_rates_the_call_when_the_agent_just_puts_the_phone_down(sandbox, tmp_path, kind):
    """Most agents end a call by putting the phone down, not with the panel's End call: the customer is
    not hung up with the agent's phone (as the PBX would by default) but kept on the line and sent to
    the survey, the call closed as the agent left it."""
    _hotline_then_campaign(sandbox, tmp_path, kind, _put_down, "4", _no_complaint)


@BOTH_PBXES
def test_the_caller_hears_the_question_recorded_on_the_route_page(sandbox, tmp_path, kind):
    """The question uploaded as a WAV through the inbound route's page (the web writes it to the node's
    prompts directory, where this tree's sb-survey finds it) is what the PBX plays in the survey, in
    place of the stock "press 1 to 5"; the caller's key is stored as before."""
    kit = kit_on(sandbox, tmp_path, kind)
    [agent_id] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-survey", [DID[kind]])
        route = m.InboundRoute(name="survey hotline", did=DID[kind], trunk_id=trunk.id,
                               hotline_agent_ids=[agent_id], max_wait_s=30, record_calls=False)
        s.add(route)
        s.flush()
        route_id, trunk_id = route.id, trunk.id
    admin = web_client(kit, tmp_path, UserRole.ADMIN, provisions=True)
    form = {"name": "survey hotline", "did": f"{trunk_id}:{DID[kind]}", "target": "queue",
            "hotline": [str(agent_id)], "overflow_after_s": "10", "max_wait_s": "30", "hours": "",
            "timezone": "UTC", "enabled": "on", "survey_enabled": "on", "survey_low_below": "3",
            "survey_prompt": (io.BytesIO(prompt(tmp_path)), "rate-us.wav")}
    response = admin.post(f"/admin/inbound/{route_id}", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    name = prompt_name("route", route_id)
    with pbx_evidence(kit) as pbx, _running(kit) as runner:
        _hotline_call(kit, kind, runner, pbx, agent_id, _by_panel, "4", _no_complaint)
        assert pbx.prompt_played(name), f"the PBX never played {name}"
    kit.close()
