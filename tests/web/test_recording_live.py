"""A recording the real runner made of a real call on the sandbox plays from the call log's link."""

from __future__ import annotations

import re
import shutil

import pytest

from lab.sandbox.world import Outcome as World
from store.enums import CampaignMode
from tests.integration.campaign_kit import Kit, mixed_leads, run_to_end
from tests.web.test_browser import CHROMIUM, _login, live_url, page  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed"),
]
_AUDIO = re.compile(r'<audio controls preload="none" src="(/recordings/\d+)">')


def test_a_live_recording_plays_from_the_call_log(as_role, sandbox, settings, tmp_path, live_url, page):  # noqa: F811

    (tmp_path / "kit").mkdir()
    kit = Kit(sandbox, tmp_path / "kit", url=settings.sqlalchemy_url)
    kit.agents(1, first=7)  # agent008: a phone the other live tests leave alone
    leads = mixed_leads({World.HUMAN: 1}, first_serial=870)
    campaign = kit.campaign("recorded", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    with run_to_end(kit, campaign, leads) as (report, _):
        assert len(report.recordings_rms) == 1, report.summary()
    kit.close()

    sup = as_role("sup")
    links = _AUDIO.findall(sup.get("/calls").get_data(as_text=True))
    assert len(links) == 1
    full = sup.get(links[0])
    assert full.status_code == 200
    assert full.mimetype == "audio/wav"
    assert full.data[:4] == b"RIFF"
    assert len(full.data) > 8000
    part = sup.get(links[0], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == full.data[:100]

    # And a browser plays it: Chromium's <audio> reads the file's header and duration.
    _login(page, live_url, "sup")
    page.goto(f"{live_url}/calls")
    audio = page.locator("audio").first
    audio.evaluate("a => { a.preload = 'auto'; a.load(); }")
    page.wait_for_function(
        "() => {const a = document.querySelector('audio'); return a.readyState > 0 || a.error; }"
    )
    state = audio.evaluate("a => ({error: a.error && a.error.code, duration: a.duration})")
    assert state["error"] is None, state
    assert state["duration"] > 1, state
