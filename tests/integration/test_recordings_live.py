"""A bridged call's recording on each PBX of the sandbox, from the PBX's file to the browser's player.

The runner asks the PBX to record the customer bridged to the agent (Asterisk's
MixMonitor, FreeSWITCH's ``uuid_record``); the web host finds the file under the
node's recordings directory. After the call the scheduler's ``check-recordings``
job stores its status and size, and the call log's player URL serves it as a WAV
of real audio (the customer and the agent's phone both play prompts). Recordings
of calls cut by a crash are the recovery tests' (``test_campaign_recovery``).
"""

from __future__ import annotations

import pytest

from lab.sandbox.world import Outcome as World
from store.enums import CampaignMode, RecordingStatus
from tests.integration.campaign_kit import (
    BOTH_PBXES,
    check_played,
    kit_on,
    mixed_leads,
    run_to_end,
    sweep_recordings,
    wait_for_file,
    web_client,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PHONE_INDEX = 5  # agent006 / fsagent006: a phone the campaign tests of one run do not use meanwhile


@BOTH_PBXES
def test_a_bridged_calls_recording_is_finalised_sized_and_plays_from_the_web(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    kit.agents(1, first=PHONE_INDEX)
    leads = mixed_leads({World.HUMAN: 2}, first_serial=600, talk={World.HUMAN: (8,)})
    campaign = kit.campaign("recorded", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    with run_to_end(kit, campaign, leads) as (report, _):
        print(f"recordings ({kind}):", report.summary())
    bridged = [a for a in kit.attempts(campaign) if a.bridged_at is not None]
    assert bridged
    for a in bridged:  # the PBX closes the file a moment after the hangup
        wait_for_file(kit.recording_file(kit.recordings(campaign)[a.id].path))
    recordings = sweep_recordings(kit)
    web = web_client(kit, tmp_path)
    page = web.get("/calls").get_data(as_text=True)
    for a in bridged:
        recording = recordings[a.id]
        on_disk = kit.recording_file(recording.path)
        assert recording.status is RecordingStatus.OK, (recording.path, recording.status_reason)
        assert recording.size_bytes == on_disk.stat().st_size > 44
        assert recording.duration_s > 0
        assert f'/recordings/{recording.id}"' in page  # the call log offers its player
        assert check_played(web, recording) > 0.01
    kit.close()
