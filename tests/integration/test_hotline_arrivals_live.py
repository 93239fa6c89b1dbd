"""Callers who find the hotline seat free, back to back, on each PBX of the sandbox (issue 12).

A caller the queue takes while a seat is free is moved from ``sb-inbound`` (ringing) to
``sb-queue-wait`` (answered, hold music) and bridged to the seat's held-open leg. Sent in the same
breath as the move, the bridge raced the transfer: FreeSWITCH once hung such a caller up
(DESTINATION_OUT_OF_ORDER). Ten callers call the route one after another, each while the seat is
free (the agent clicks Ready in the panel after each call instead of sitting out the wrap-up): each
is bridged to the seat and recorded, the PBX never hangs one up (each is still on the line when the
world hangs up, and the PBX's own hang-up cause is the caller's hang-up), and the call log has each one
answered with a wait counted from the arrival. Prints the arrival-to-bridge times on the PBX's clock.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab.sandbox.calls import answered, call_in, hang_up
from store import desk_queue
from store import models as m
from store.enums import AgentState, DeskCommand, PbxKind, QueueOutcome
from tests.integration.campaign_kit import BOTH_PBXES, Kit, kit_on, pbx_evidence
from tests.integration.test_agent_panel_live import panel_client
from tests.integration.test_hotline_live import PHONES, inbound_call

pytestmark = [pytest.mark.sandbox]

DID = {PbxKind.ASTERISK: "14005550408", PbxKind.FREESWITCH: "14005550409"}
CALLERS = [f"1212555017{i}" for i in range(10)]
#: The PBX's hang-up cause of a caller who hung up themselves (a BYE from the world): Asterisk's normal
#: clearing; FreeSWITCH says NONE (0) for a BYE without a cause (``sip_hangup_disposition`` recv_bye).
CALLER_BYE = {PbxKind.ASTERISK: 16, PbxKind.FREESWITCH: 0}


def _recorded_s(kit: Kit, s, caller: str) -> float:
    """Seconds of audio (8 kHz 16-bit mono or more) in the recording of ``caller``'s call so far."""
    call = inbound_call(s, caller)
    path = s.scalar(select(m.Recording.path).where(m.Recording.call_id == call.id)) if call else None
    file = kit.recording_file(path) if path else None
    return file.stat().st_size / 16000 if file is not None and file.exists() else 0.0


@BOTH_PBXES
def test_ten_callers_who_find_the_seat_free_are_each_bridged_recorded_and_never_cut(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    [seat] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-hotline", [DID[kind]])
        s.add(m.InboundRoute(name="400 arrivals", did=DID[kind], trunk_id=trunk.id, hotline_agent_ids=[seat],
                             overflow_after_s=5, max_wait_s=60))
        desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id, agent_id=seat))
        username = s.get(m.Agent, seat).user.username
    panel = panel_client(kit, tmp_path, username)
    runner = kit.runner()
    runner.start()
    took: dict[str, float | None] = {}
    try:
        with pbx_evidence(kit) as pbx:
            for caller in CALLERS:
                kit.wait_for("the seat free", lambda s: s.get(m.Agent, seat).state is AgentState.READY,
                             runner, timeout=20)
                channel = call_in(kit.sandbox.world, kind, DID[kind], caller, name="Arriving Caller")
                kit.wait_for(f"{caller} bridged to the seat on the PBX",
                             lambda _s, c=caller: pbx.arrival_to_bridge(c) is not None
                             or pbx.hangup_cause(c) is not None, runner, timeout=10)
                assert pbx.hangup_cause(caller) is None, (caller, pbx.hangup_cause(caller))
                kit.wait_for(f"a second of {caller}'s call recorded",
                             lambda s, c=caller: _recorded_s(kit, s, c) >= 1.0
                             or pbx.hangup_cause(c) is not None,
                             runner, timeout=10)
                assert pbx.hangup_cause(caller) is None, (caller, pbx.hangup_cause(caller))
                assert answered(kit.sandbox.world, channel), f"{caller} is no longer on the line"
                took[caller] = pbx.arrival_to_bridge(caller)
                hang_up(kit.sandbox.world, channel)
                kit.wait_for(f"{caller}'s call ended, the seat wrapping up", lambda s, c=caller: (
                    (call := inbound_call(s, c)) is not None and call.ended_at is not None
                    and s.get(m.Agent, seat).state is AgentState.WRAP_UP), runner, timeout=10)
                assert panel.post("/agent/ready").status_code == 302  # wrap-up done (back to the panel)
            causes = {caller: pbx.hangup_cause(caller) for caller in CALLERS}
    finally:
        runner.stop()
        print(runner.tail(40))

    times = sorted(t for t in took.values() if t is not None)
    print(f"hotline arrivals ({kind}): arrival->bridge on the PBX (ms) "
          f"median={times[len(times) // 2] * 1000:.0f} min={times[0] * 1000:.0f} max={times[-1] * 1000:.0f} "
          f"all={[round(t * 1000) for t in times]}")
    assert causes == dict.fromkeys(CALLERS, CALLER_BYE[kind])  # the world hung up each one, not the PBX
    with kit.sessions() as s:
        calls = {caller: inbound_call(s, caller) for caller in CALLERS}
        recorded = {caller: s.scalar(select(m.Recording.path).where(m.Recording.call_id == call.id))
                    for caller, call in calls.items()}
        for caller, call in calls.items():
            assert (call.queue_outcome, call.agent_id) == (QueueOutcome.ANSWERED, seat), caller
            assert call.answered_at is not None, caller
            assert call.ended_at is not None, caller
            # The wait counts from the arrival: the caller's move to the wait route is part of it.
            assert call.queue_wait_s is not None, caller
            assert call.queue_wait_s > 0, (caller, call.queue_wait_s)
            assert recorded[caller], caller
    print(f"hotline arrivals ({kind}): queue waits "
          f"{sorted(float(c.queue_wait_s) for c in calls.values())}")
    kit.close()
