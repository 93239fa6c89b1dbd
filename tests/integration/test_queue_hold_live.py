"""Callers waiting in the hotline's queue on each PBX of the sandbox: hold music and their place in line.

The route's one hotline seat is logged in and talking to a caller from the world, so two more
callers wait. What the second hears is recorded on the world's side of their line (the audio
the PBX sends them): hold music, not silence. Every 12 s of their wait the runner's queue tells
each their position and an estimated wait: the route's two earlier answered calls took 150 s of
talk each (+ 20 s of wrap-up), one agent serves it, so the first in line waits about 170 s
(3 minutes, rounded up) and the second 340 s (6 minutes). The PBX's own events show the second
caller hearing "2" (Asterisk ``SayNumber(2)`` in ``sb-queue-announce``, FreeSWITCH's mod_say_en
playing ``digits/2.wav``) and then their wait, "6" after the hold-time prompt, and the first
being told they are next, then "3". Both hang up: two abandons in the call log.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from lab.sandbox import hold
from lab.sandbox.calls import call_in, hang_up
from store import desk_queue
from store import models as m
from store.enums import AgentState, CallDirection, DeskCommand, PbxKind, QueueOutcome
from store.types import utcnow
from tests.integration.campaign_kit import BOTH_PBXES, kit_on, pbx_evidence, world_heard
from tests.integration.test_hotline_live import PHONES, inbound_call

pytestmark = [pytest.mark.sandbox]

DID = {PbxKind.ASTERISK: "14005550404", PbxKind.FREESWITCH: "14005550405"}
FIRST, SECOND, TALKING = "12125550161", "12125550162", "12125550160"
#: The route's earlier answered calls: talk seconds each (the queue adds its 20 s wrap-up).
EARLIER_TALK_S = (150, 150)
#: The waits said: ceil(position x 170 s / 1 agent / 60).
WAIT_MIN = {FIRST: 3, SECOND: 6}
#: Longer than the announcement with the wait (up to 10 s with Asterisk's prompts): a new one would cut
#: it short.
ANNOUNCE_EVERY_S = 12
#: RMS amplitude (sox, full scale 1) above which a line carries sound (the monitoring test's HEARD).
HEARD = 0.01


@BOTH_PBXES
def test_a_waiting_caller_hears_hold_music_and_is_told_their_place_in_the_queue(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    hold.sync(sandbox.settings)  # a sandbox started before the queue had music: its tune and routes
    [agent] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-hotline", [DID[kind]])
        route = m.InboundRoute(name="400 on hold", did=DID[kind], trunk_id=trunk.id,
                               hotline_agent_ids=[agent], overflow_after_s=1, max_wait_s=60,
                               announce_every_s=ANNOUNCE_EVERY_S)
        s.add(route)
        s.flush()
        ended = utcnow() - timedelta(hours=1)
        for i, talk in enumerate(EARLIER_TALK_S):  # the route's history the estimate starts from
            answered = ended - timedelta(seconds=talk, minutes=10 * i)
            s.add(m.Call(direction=CallDirection.INBOUND, caller=f"1212555017{i}", callee=DID[kind],
                         route_id=route.id, started_at=answered - timedelta(seconds=5), answered_at=answered,
                         ended_at=answered + timedelta(seconds=talk), queue_outcome=QueueOutcome.ANSWERED,
                         pbx_call_id=f"earlier-{i}"))
        desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id,
                                            agent_id=agent))
    runner = kit.runner()
    runner.start()
    channels: list[str] = []
    try:
        with pbx_evidence(kit) as pbx:
            kit.wait_for("the runner hosts the queue",
                         lambda _s: "inbound queue hosted" in runner.tail(1000), runner, timeout=10)
            kit.wait_for("the hotline seat ready", lambda s: s.get(m.Agent, agent).state is AgentState.READY,
                         runner, timeout=15)
            channels.append(call_in(kit.sandbox.world, kind, DID[kind], TALKING, name="Talking Caller"))
            kit.wait_for("the seat talking to the first caller", lambda s: (
                c := inbound_call(s, TALKING)) is not None and c.agent_id == agent, runner, timeout=10)
            channels.append(call_in(kit.sandbox.world, kind, DID[kind], FIRST, name="First Caller"))
            kit.wait_for("the first caller queued", lambda s: inbound_call(s, FIRST) is not None, runner,
                         timeout=10)
            channels.append(call_in(kit.sandbox.world, kind, DID[kind], SECOND, name="Second Caller"))
            kit.wait_for("the second caller queued", lambda s: inbound_call(s, SECOND) is not None, runner,
                         timeout=10)
            # The 2 s before the second caller's first announcement: the hold music.
            heard = world_heard(kit, {"second": channels[-1]}, 2.0)["second"]
            kit.wait_for("the second caller told they are number 2",
                         lambda _s: pbx.position_told(SECOND, 2), runner, timeout=20)
            kit.wait_for("the second caller told their wait",
                         lambda _s: pbx.wait_told(SECOND, WAIT_MIN[SECOND]), runner, timeout=20)
            assert pbx.position_told(FIRST, 1)
            assert pbx.wait_told(FIRST, WAIT_MIN[FIRST])
            assert not pbx.wait_told(FIRST, WAIT_MIN[SECOND])  # each their own
        hang_up(kit.sandbox.world, *channels)
        kit.wait_for("both callers abandoned", lambda s: all(
            (c := inbound_call(s, n)) is not None and c.queue_outcome is QueueOutcome.ABANDONED
            for n in (FIRST, SECOND)), runner, timeout=10)
    finally:
        hang_up(kit.sandbox.world, *channels)
        runner.stop()
        print(runner.tail(40))
    print(f"queue hold ({kind}): the waiting caller hears RMS {heard:.3f}")
    assert heard > HEARD
    kit.close()
