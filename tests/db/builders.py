"""Test data shared by the database tests."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Engine

from store.db import session_factory
from store.enums import CampaignMode, ComplianceProfile
from store.models import Campaign, Lead, LeadList
from store.sealing import Sealer

#: Seals the node and seat secrets tests write and opens them where the runner reads them (one process).
TEST_SECRETS_KEY = secrets.token_urlsafe(32)
TEST_SEALER = Sealer(TEST_SECRETS_KEY)


def campaign_with_leads(engine: Engine, n: int, due: datetime) -> int:
    """A predictive campaign with one active list of ``n`` new leads due at ``due``; returns its id."""
    with session_factory(engine).begin() as s:
        campaign = Campaign(name="A", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.US)
        lead_list = LeadList(name="A", campaign=campaign)
        s.add_all(Lead(list=lead_list, phone=f"+1202555{i:04d}", next_call_at=due) for i in range(n))
        s.flush()
        return campaign.id
