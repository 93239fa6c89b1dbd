"""Callers waiting in the hotline's queue on each PBX of the sandbox: hold music and their place in line.

Nobody answers the route (its one hotline seat is not logged in), so two callers from
the world wait. What the second hears is recorded on the world's side of their line
(the audio the PBX sends them): hold music, not silence. Every 3 s of their wait the
runner's queue tells each their position; the PBX's own events show the second caller
hearing "2" (Asterisk ``SayNumber(2)`` in ``sb-queue-announce``, FreeSWITCH's mod_say_en
playing ``digits/2.wav``) and the first being told they are next. Both hang up: two
abandons in the call log.
"""

from __future__ import annotations

import pytest

from lab.sandbox import hold
from lab.sandbox.calls import call_in, hang_up
from store import models as m
from store.enums import PbxKind, QueueOutcome
from tests.integration.campaign_kit import BOTH_PBXES, kit_on, pbx_evidence, world_heard
from tests.integration.test_hotline_live import PHONES, inbound_call

pytestmark = [pytest.mark.sandbox]

DID = {PbxKind.ASTERISK: "14005550404", PbxKind.FREESWITCH: "14005550405"}
FIRST, SECOND = "12125550161", "12125550162"
ANNOUNCE_EVERY_S = 3
#: RMS amplitude (sox, full scale 1) above which a line carries sound (the monitoring test's HEARD).
HEARD = 0.01


@BOTH_PBXES
def test_a_waiting_caller_hears_hold_music_and_is_told_their_place_in_the_queue(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    hold.sync(sandbox.settings)  # a sandbox started before the queue had music: its tune and routes
    [agent] = kit.agents(1, first=PHONES)
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-hotline", [DID[kind]])
        s.add(m.InboundRoute(name="400 on hold", did=DID[kind], trunk_id=trunk.id, hotline_agent_ids=[agent],
                             overflow_after_s=1, max_wait_s=60, announce_every_s=ANNOUNCE_EVERY_S))
    runner = kit.runner()
    runner.start()
    channels: list[str] = []
    try:
        with pbx_evidence(kit) as pbx:
            kit.wait_for("the runner hosts the queue",
                         lambda _s: "inbound queue hosted" in runner.tail(1000), runner, timeout=10)
            channels.append(call_in(kit.sandbox.world, kind, DID[kind], FIRST, name="First Caller"))
            kit.wait_for("the first caller queued", lambda s: inbound_call(s, FIRST) is not None, runner,
                         timeout=10)
            channels.append(call_in(kit.sandbox.world, kind, DID[kind], SECOND, name="Second Caller"))
            kit.wait_for("the second caller queued", lambda s: inbound_call(s, SECOND) is not None, runner,
                         timeout=10)
            # The 2 s before the second caller's first announcement: the hold music.
            heard = world_heard(kit, {"second": channels[1]}, 2.0)["second"]
            kit.wait_for("the second caller told they are number 2",
                         lambda _s: pbx.position_told(SECOND, 2), runner, timeout=10)
            assert pbx.position_told(FIRST, 1)
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
