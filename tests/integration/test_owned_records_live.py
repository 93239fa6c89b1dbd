"""Records handed out to an agent, dialed by the real runner on each PBX of the sandbox: in a
progressive campaign an agent's own records are called for that agent only (the core reserves the
owner for the call), the unowned rest for whoever is free."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from lab.sandbox.world import Outcome as World
from store.enums import CampaignMode, Outcome, PurchaseState, UserRole
from store.models import Agent, Campaign, Lead, LeadList, Purchase, Team, User, Vendor
from tests.integration.campaign_kit import BOTH_PBXES, kit_on, mixed_leads, run_to_end
from web.leaddata.handout import Receiver, hand_out

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PHONE_INDEX = 5  # agent006-007 / fsagent006-007 (live tests run one at a time)
OWNED_EACH = 2


@BOTH_PBXES
def test_an_agents_own_records_are_called_for_that_agent(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    agent_ids = kit.agents(2, first=PHONE_INDEX)
    leads = mixed_leads({World.HUMAN: 2 + 2 * OWNED_EACH}, first_serial=680)
    numbers = list(leads)
    shared, bought = numbers[:2], numbers[2:]
    campaign = kit.campaign("owned", CampaignMode.PROGRESSIVE, {n: leads[n] for n in shared}, wrap_up_s=1)
    with kit.sessions.begin() as s:  # a batch bought and accepted, handed to the team, then to each agent
        leader = User(username="owners-lead", password_hash="-", role=UserRole.TEAM_LEADER)
        team = Team(name="Owners", leader=leader)
        agents = [s.get_one(Agent, i) for i in agent_ids]
        for agent in agents:
            agent.team = team
        c = s.get_one(Campaign, campaign)
        c.teams.append(team)
        purchase = Purchase(
            vendor=Vendor(name="Live"),
            batch="LIVE-OWN",
            purchased_on=date(2026, 12, 1),
            price=Decimal("10.00"),
            record_count=len(bought),
            consent_basis="test",
            state=PurchaseState.ACCEPTED,
        )
        s.add(purchase)
        s.flush()
        pool = LeadList(name="LIVE-OWN", purchase_id=purchase.id, active=False)
        s.add(pool)
        s.flush()
        s.add_all(Lead(list_id=pool.id, phone=n) for n in bought)
        s.flush()
        hand_out(s, purchase, Receiver(team), str(len(bought)), None)
        for agent in agents:
            hand_out(s, purchase, Receiver(team, agent, c), str(OWNED_EACH), None)
        s.flush()
        owner = dict(
            s.execute(
                select(Lead.phone, LeadList.agent_id).join(LeadList).where(LeadList.agent_id.is_not(None))
            )
            .tuples()
            .all()
        )
    assert sorted(owner.values()) == sorted(agent_ids * OWNED_EACH)
    with run_to_end(kit, campaign, leads) as (report, _):
        print(f"owned records ({kind}):", report.summary())
    attempts = kit.attempts(campaign)
    assert {a.phone for a in attempts} == set(numbers)  # the pool and every owned record were dialed
    for a in attempts:
        if a.phone in owner:
            assert a.agent_id == owner[a.phone], (a.phone, a.agent_id, owner[a.phone])
            if a.outcome is Outcome.CONNECTED:
                assert a.bridged_at is not None
    assert any(a.phone in owner and a.outcome is Outcome.CONNECTED for a in attempts), report.summary()
    kit.close()
