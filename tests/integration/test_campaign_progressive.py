"""A progressive campaign on the real sandbox: 50 leads with mixed outcomes, 8 agents (every sandbox
phone of the PBX: the run takes half as long as with 4, and each agent still takes several calls).

The world plays the customers (humans who talk 2-4 s, busy, no answer,
machines, unallocated numbers) and the agents' auto-answer phones; the runner
is the real `switchboard runner` process against the real PBX: the Asterisk
pbx (AMI runner) or the FreeSWITCH node (ESL runner), through the same world.
Machines are left the campaign's message after their beep.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab.sandbox.world import Outcome as World
from provisioning import freeswitch
from store.enums import CampaignMode, MachineAction, Outcome, PbxKind
from store.models import Call
from tests.integration.campaign_kit import BOTH_PBXES, kit_on, mixed_leads, run_to_end

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

CALLER_ID = "+15550001234"
MIX = {World.HUMAN: 20, World.BUSY: 8, World.NO_ANSWER: 7, World.MACHINE: 8, World.UNALLOCATED: 7}


#: The campaign's message for machines, per PBX (each PBX's own prompt name).
MESSAGE = {PbxKind.ASTERISK: "vm-goodbye", PbxKind.FREESWITCH: freeswitch.DEFAULT_ABANDON_SOUND}
#: Seconds the world's customers stay on, per PBX (None: ``mixed_leads``' defaults). The FreeSWITCH
#: sandbox's message is its spoken abandon prompt (5.3 s, Asterisk's is 1 s): after the beep (6.2 s)
#: and the route's wait for silence it ends ~13.5 s after the answer, so its machines record for
#: 16 s instead of 10 (real voicemail records for a minute or more).
TALK = {PbxKind.ASTERISK: None,
        PbxKind.FREESWITCH: {World.HUMAN: (4, 5, 6), World.MACHINE: (16,), World.NO_ANSWER: (3,),
                             World.BUSY: (1,), World.UNALLOCATED: (1,)}}


@BOTH_PBXES
def test_progressive_campaign_dials_the_world_and_connects_agents(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    kit.agents(8)
    leads = mixed_leads(MIX, first_serial=100, talk=TALK[kind])
    assert len(leads) >= 50
    campaign = kit.campaign(
        "progressive",
        CampaignMode.PROGRESSIVE,
        leads,
        wrap_up_s=1,
        amd_action=MachineAction.MESSAGE,
        machine_message_file=MESSAGE[kind],
        caller_id=CALLER_ID,
    )
    with run_to_end(kit, campaign, leads) as (report, pbx):
        # Machines got the campaign's message after their beep (the route's own signal on the PBX).
        machines = [a for a in kit.attempts(campaign) if a.outcome is Outcome.MACHINE]
        for a in machines:
            assert pbx.message_left(str(a.id), a.channel_id), f"no message left on {a.phone}"
        # The call log's "From": the caller ID the originate presented, as the runner wrote it.
        with kit.sessions() as s:
            callers = set(s.scalars(select(Call.caller).where(Call.campaign_id == campaign)))
        assert callers == {CALLER_ID}
    print(f"progressive ({kind}):", report.summary())
    assert report.outcomes["connected"] >= 18
    assert report.abandons == 0  # progressive: a line only for a ready agent
    kit.close()
