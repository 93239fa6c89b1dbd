"""A predictive campaign on the real sandbox, PostgreSQL behind the runner: 60 leads, 8 agents (every
sandbox phone: the run takes half as long as with 4, and each agent still takes several calls).

The pacing policy is the real one (``orchestrator.pacing.predictive``),
learning from the campaign's own calls; it dials ahead of the agents, so some
humans may wait and be abandoned: those must hear the message and be counted.
"""

from __future__ import annotations

import pytest

from lab.sandbox.world import Outcome as World
from store.enums import CampaignMode
from tests.db.conftest import _empty_pg_schema, pg_database_url, pg_server_url  # noqa: F401
from tests.integration.campaign_kit import Kit, mixed_leads, run_to_end

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres, pytest.mark.slow]

MIX = {World.HUMAN: 30, World.BUSY: 8, World.NO_ANSWER: 8, World.MACHINE: 8, World.UNALLOCATED: 6}


def test_predictive_campaign_on_postgresql(sandbox, tmp_path, pg_database_url):  # noqa: F811
    _empty_pg_schema(pg_database_url)
    kit = Kit(sandbox, tmp_path, url=pg_database_url)
    kit.agents(8)
    leads = mixed_leads(MIX, first_serial=200)
    campaign = kit.campaign("predictive", CampaignMode.PREDICTIVE, leads, wrap_up_s=1)
    with run_to_end(kit, campaign, leads) as (report, _pbx):
        pass
    print("predictive:", report.summary())
    assert report.outcomes["connected"] + report.outcomes["abandoned"] >= 27
    kit.close()
