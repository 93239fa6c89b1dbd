"""The 400 hotline on each PBX of the sandbox: the world calls the DID, the runner's queue answers.

One outbound campaign runs on the node with a designated overflow agent; a
hotline seat logs in for the queue only. The world (the carrier) calls the
hotline DID: the caller is answered in ``sb-queue-wait``, bridged to the
hotline seat's held-open leg and recorded. A second caller while the seat is
busy overflows to the designated outbound agent. Both calls are in the call
log with their From and To, and both recordings hold audio. The route names the
campaign: the hotline seat saves a disposition with a note in the agent panel
during the first call, and it is the call's once the caller hung up. Callers
nobody answers within the longest wait leave a voicemail or a callback request.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lab import demo
from lab.sandbox.calls import call_in, hang_up
from store import desk_queue
from store import models as m
from store.enums import (
    AgentState,
    CallDirection,
    CampaignMode,
    DeskCommand,
    MaxWait,
    PbxKind,
    QueueOutcome,
    RecordingStatus,
)
from tests.integration.campaign_kit import (
    BOTH_PBXES,
    Kit,
    check_played,
    kit_on,
    sweep_recordings,
    wait_for_file,
    web_client,
)
from tests.integration.test_agent_panel_live import HTMX, panel_client

pytestmark = [pytest.mark.sandbox]

PHONES = 2  # agent003 and agent004 (fsagent... on FreeSWITCH): phones the other live tests leave alone
#: The hotline's DID on each node (the world dials ``PJSIP/<DID>@<node>``).
DID = {PbxKind.ASTERISK: "14005550400", PbxKind.FREESWITCH: "14005550401"}
CALLBACK_DID = {PbxKind.ASTERISK: "14005550402", PbxKind.FREESWITCH: "14005550403"}


def world_calls(kit: Kit, caller: str) -> str:
    """The world calls the hotline from ``caller`` and keeps talking; returns its channel, to hang up."""
    return call_in(kit.sandbox.world, kit.kind, DID[kit.kind], caller, name="Hotline Caller")


def world_hangs_up(kit: Kit, *channels: str) -> None:
    hang_up(kit.sandbox.world, *channels)


def inbound_call(s, caller: str) -> m.Call | None:
    return s.scalar(select(m.Call).where(m.Call.caller == caller))


def recorded_s(kit: Kit, s) -> float:
    """Seconds of audio in the shortest inbound recording so far (8 kHz 16-bit mono or more)."""
    paths = [kit.recording_file(p) for p in s.scalars(select(m.Recording.path).where(m.Recording.call_id.in_(
        select(m.Call.id).where(m.Call.direction == CallDirection.INBOUND))))]
    sizes = [p.stat().st_size if p.exists() else 0 for p in paths]
    return min(sizes, default=0) / 16000 if len(sizes) == 2 else 0.0


@BOTH_PBXES
def test_the_hotline_seat_answers_the_world_and_a_second_caller_overflows(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    hotline, designated = kit.agents(2, first=PHONES)
    did = DID[kind]
    with kit.sessions.begin() as s:
        node = s.get(m.PbxNode, kit.node_id)
        campaign = demo.create_campaign(s, "outbound next to the hotline", CampaignMode.PROGRESSIVE, [])
        trunk = kit.carrier_trunk(s, "world-hotline", [did])
        s.add(m.InboundRoute(name="400 hotline", did=did, trunk_id=trunk.id, hotline_agent_ids=[hotline],
                             overflow_agent_ids=[designated], overflow_after_s=1, max_wait_s=60,
                             campaign_id=campaign.id))
        done = s.scalar(select(m.Disposition.id).where(m.Disposition.campaign_id == campaign.id))
        seat_user = s.get(m.Agent, hotline).user.username
        for agent_id, campaign_id in ((hotline, None), (designated, campaign.id)):
            desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=node.id,
                                                campaign_id=campaign_id, agent_id=agent_id))
    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("both agents ready", lambda s: all(
            s.get(m.Agent, i).state is AgentState.READY for i in (hotline, designated)), runner, timeout=20)
        first = world_calls(kit, "12125550141")
        kit.wait_for("the hotline seat answers", lambda s: (c := inbound_call(s, "12125550141")) is not None
                     and c.agent_id == hotline, runner, timeout=10)
        panel = panel_client(kit, tmp_path, seat_user)  # the hotline seat disposes of the call it is on
        form = re.search(r'name="attempt_id" value="([^"]+)"', panel.get("/agent/").get_data(as_text=True))
        assert form is not None
        disposition = {"attempt_id": form.group(1), "disposition_id": str(done),
                       "notes": "asked about the hotline"}
        assert panel.post("/agent/dispose", disposition, headers=HTMX).status_code == 200
        second = world_calls(kit, "12125550142")
        kit.wait_for("the designated agent answers",
                     lambda s: (c := inbound_call(s, "12125550142")) is not None and c.agent_id == designated,
                     runner, timeout=10)
        kit.wait_for("two seconds of each call recorded", lambda s: recorded_s(kit, s) >= 2.0, runner,
                     timeout=10)
        world_hangs_up(kit, first, second)
        kit.wait_for("both calls ended", lambda s: all(
            (c := inbound_call(s, n)) is not None and c.ended_at is not None
            for n in ("12125550141", "12125550142")), runner, timeout=10)
    finally:
        runner.stop()
        print(runner.tail(60))

    with kit.sessions() as s:
        calls = {n: inbound_call(s, n) for n in ("12125550141", "12125550142")}
        paths = {n: s.scalar(select(m.Recording.path).where(m.Recording.call_id == c.id))
                 for n, c in calls.items()}
    print(f"hotline ({kind}): queue wait seat={calls['12125550141'].queue_wait_s} s "
          f"overflow={calls['12125550142'].queue_wait_s} s (overflow_after_s=1)")
    assert calls["12125550141"].queue_outcome is QueueOutcome.ANSWERED
    with kit.sessions() as s:  # the disposition given during the call is the call's after it
        attempt = s.get(m.Attempt, calls["12125550141"].attempt_id)
        assert (attempt.disposition_id, attempt.notes) == (done, "asked about the hotline")
        assert attempt.ended_at is not None
    assert calls["12125550142"].queue_outcome is QueueOutcome.OVERFLOW
    for number, call in calls.items():
        assert (call.callee, call.answered_at is not None) == (did, True), number
        assert call.queue_wait_s is not None
        assert call.queue_wait_s >= 0
        wait_for_file(kit.recording_file(paths[number]))
    sweep_recordings(kit)  # the scheduler's check of ended recordings
    web = web_client(kit, tmp_path)
    page = web.get("/calls?number=1212555014").get_data(as_text=True)
    with kit.sessions() as s:
        agents = [s.get(m.Agent, i).user.username for i in (hotline, designated)]
        recordings = [s.scalar(select(m.Recording).where(m.Recording.call_id == c.id))
                      for c in calls.values()]
    for shown in ("12125550141", "12125550142", did, "answered", "overflow", *agents):
        assert shown in page
    for recording in recordings:  # the call log's player plays each call's audio
        assert recording.status is RecordingStatus.OK, (recording.path, recording.status_reason)
        assert f'/recordings/{recording.id}"' in page
        assert check_played(web, recording) > 0.01
    kit.close()


def _missed(s, caller: str) -> m.Call | None:
    call = inbound_call(s, caller)
    return call if call is not None and call.queue_outcome in (QueueOutcome.VOICEMAIL,
                                                                QueueOutcome.CALLBACK) else None


@BOTH_PBXES
def test_callers_past_the_longest_wait_leave_a_voicemail_or_a_callback_request(sandbox, tmp_path, kind):
    """Nobody answers (the routes' one agent is not logged in): after the 3 s longest wait a caller to
    the voicemail route is sent to voicemail and talks for a few seconds: the message is recorded and
    plays in the Missed callers list; a caller to the callback route is told we call back: listed
    too, with no message."""
    kit = kit_on(sandbox, tmp_path, kind)
    [agent] = kit.agents(1, first=PHONES)
    dids = {MaxWait.VOICEMAIL: DID[kind], MaxWait.CALLBACK: CALLBACK_DID[kind]}
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-hotline", list(dids.values()))
        routes = {to: m.InboundRoute(name=f"400 {to.value}", did=did, trunk_id=trunk.id, on_max_wait=to,
                                     overflow_agent_ids=[agent], overflow_after_s=1, max_wait_s=3)
                  for to, did in dids.items()}
        s.add_all(routes.values())
        s.flush()
        route_id = routes[MaxWait.VOICEMAIL].id
    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("the runner hosts both queues",
                     lambda _s: runner.tail(1000).count("inbound queue hosted") == 2, runner, timeout=10)
        # 3 s in the queue, then 7 s of message
        call_in(kit.sandbox.world, kind, dids[MaxWait.VOICEMAIL], "12125550151", talk_s=10)
        call_in(kit.sandbox.world, kind, dids[MaxWait.CALLBACK], "12125550152", talk_s=10)
        kit.wait_for("the voicemail caller hung up after their message", lambda s: (
            (c := _missed(s, "12125550151")) is not None and bool(c.recordings)
            and c.recordings[0].ended_at is not None), runner, timeout=25)
        kit.wait_for("the other caller asked to be called back",
                     lambda s: _missed(s, "12125550152") is not None, runner, timeout=10)
    finally:
        runner.stop()
        print(runner.tail(40))

    with kit.sessions() as s:
        voicemail, callback = _missed(s, "12125550151"), _missed(s, "12125550152")
        [message] = voicemail.recordings
        assert voicemail.queue_outcome is QueueOutcome.VOICEMAIL
        assert callback.queue_outcome is QueueOutcome.CALLBACK
        assert callback.recordings == []
        assert voicemail.queue_wait_s >= 3
        assert message.path == f"voicemail/{route_id}/{voicemail.pbx_call_id}.wav"
        assert message.duration_s >= 4, message.duration_s  # the caller talked ~7 s after the redirect
        voicemail_id, callback_id = voicemail.id, callback.id
    wait_for_file(kit.recording_file(message.path))
    sweep_recordings(kit)
    web = web_client(kit, tmp_path)  # QA: sees every team's calls, as the hotline's list needs
    page = web.get("/inbound/missed").get_data(as_text=True)
    assert f'id="missed-{voicemail_id}"' in page
    assert f'id="missed-{callback_id}"' in page
    with kit.sessions() as s:
        message = s.get(m.Recording, message.id)
    assert message.status is RecordingStatus.OK, message.status_reason
    assert f'/recordings/{message.id}"' in page
    assert check_played(web, message) > 0.01  # the caller's own audio, played through the page
    kit.close()
