"""A bought batch's sample dialed by the real runner on each PBX of the sandbox, and judged from what the
calls did: the director draws the sample through the purchase page into a campaign, the runner dials it,
and the page counts valid numbers and connects per record from the attempts the runner wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from lab.sandbox.world import Outcome as World
from store.enums import CampaignMode, UserRole
from store.models import LeadList, Purchase
from tests.integration.campaign_kit import BOTH_PBXES, kit_on, mixed_leads, run_to_end, web_client

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PHONE_INDEX = 5  # agent006 / fsagent006, as the recordings tests (live tests run one at a time)


@BOTH_PBXES
def test_a_purchase_sample_is_dialed_by_the_runner_and_measured(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    kit.agents(1, first=PHONE_INDEX)
    leads = mixed_leads({World.HUMAN: 2, World.UNALLOCATED: 2, World.NO_ANSWER: 1}, first_serial=640)
    campaign = kit.campaign("sample", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    web = web_client(kit, tmp_path, UserRole.DIRECTOR)
    web.get("/data/vendors")
    web.post("/data/vendors", {"name": "Live vendor"})
    web.get("/data/purchases")
    web.post("/data/purchases", {"vendor_id": "1", "batch": "LIVE-1", "purchased_on": "2026-12-01",
                                 "price": "50", "record_count": "5", "consent_basis": "test"})
    with kit.sessions.begin() as s:  # the campaign's list stands for the batch's imported file
        purchase_id = s.scalars(select(Purchase.id)).one()
        s.execute(update(LeadList).values(purchase_id=purchase_id, campaign_id=None))
    web.get(f"/data/purchases/{purchase_id}")
    page = web.post(f"/data/purchases/{purchase_id}/sample", {"campaign_id": str(campaign)},
                    follow_redirects=True).get_data(as_text=True)
    assert "Sample drawn into the list LIVE-1 sample" in page  # 5 of 5: a batch this small is dialed whole
    started = dt.datetime.now(dt.UTC)
    with run_to_end(kit, campaign, leads) as (report, _):
        print(f"sample ({kind}):", report.summary(), dt.datetime.now(dt.UTC) - started)
    page = web.get(f"/data/purchases/{purchase_id}").get_data(as_text=True)
    assert "<tr><td>5</td><td>5</td>" in page  # drawn, dialed
    assert "3 (60.0 %" in page  # valid numbers: the two unallocated ones are not
    assert "2 (40.0 %" in page  # connected to the agent
    assert "valid-number rate 60.0% is below 80.0%" in page
    kit.close()
