"""The 400 hotline on each PBX of the sandbox: the world calls the DID, the runner's queue answers.

One outbound campaign runs on the node with a designated overflow agent; a
hotline seat logs in for the queue only. The world (the carrier) calls the
hotline DID: the caller is answered in ``sb-queue-wait``, bridged to the
hotline seat's held-open leg and recorded. A second caller while the seat is
busy overflows to the designated outbound agent. Both calls are in the call
log with their From and To, and both recordings hold audio.
"""

from __future__ import annotations

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

pytestmark = [pytest.mark.sandbox]

PHONES = 2  # agent003 and agent004 (fsagent... on FreeSWITCH): phones the other live tests leave alone
#: The hotline's DID on each node (the world dials ``PJSIP/<DID>@<node>``).
DID = {PbxKind.ASTERISK: "14005550400", PbxKind.FREESWITCH: "14005550401"}


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
        trunk = m.Trunk(name="world-hotline", managed=False, dids=[did], nodes=[node])
        s.add(trunk)
        s.flush()
        s.add(m.InboundRoute(name="400 hotline", did=did, trunk_id=trunk.id, hotline_agent_ids=[hotline],
                             overflow_agent_ids=[designated], overflow_after_s=1, max_wait_s=60))
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
