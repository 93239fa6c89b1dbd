"""Models round-trip through both databases: relations, enums, JSON, aware UTC times, FK actions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError

from store.enums import (
    AgentState,
    AmdVerdict,
    CallDirection,
    CampaignMode,
    CampaignState,
    ComplianceProfile,
    DeskRequestStatus,
    LeadStatus,
    MachineAction,
    Outcome,
    PaymentStatus,
    PbxKind,
    UserRole,
)
from store.leads import assign_list
from store.models import (
    Agent,
    AgentStateLog,
    Attempt,
    AuditLog,
    Call,
    Campaign,
    DeskRequest,
    Disposition,
    DncEntry,
    Lead,
    LeadList,
    Order,
    PbxNode,
    Product,
    Recording,
    RetryRule,
    Seat,
    Team,
    User,
)

T0 = datetime(2026, 3, 2, 14, 30, 15, 123456, tzinfo=UTC)


def _centre(session):
    """A small call centre: one node, a team with a leader, an agent at a seat, a campaign with a list."""
    node = PbxNode(name="pbx1", kind=PbxKind.ASTERISK, host="127.0.0.2", port=5038, username="sb", secret="s")
    leader = User(username="lea", password_hash="x", role=UserRole.SUPERVISOR)
    team = Team(name="Team A", leader=leader)
    seat = Seat(node=node, extension="agent001", secret="pw", team=team)
    agent = Agent(user=User(username="al", password_hash="x", role=UserRole.AGENT), team=team, seat=seat)
    campaign = Campaign(
        name="Spring",
        mode=CampaignMode.PREDICTIVE,
        compliance_profile=ComplianceProfile.UK,
        calling_hours={"mon": [["09:00", "20:00"]]},
        retry_rules=[RetryRule(outcome=Outcome.BUSY, delay_s=600, max_attempts=3)],
        dispositions=[
            Disposition(code="sale", label="Sale", is_sale=True, asks_amount=True, sort_order=1),
            Disposition(code="cb", label="Call back", schedules_callback=True, is_final=False, sort_order=2),
        ],
        teams=[team],
    )
    lead_list = LeadList(name="import-1", campaign=campaign)
    session.add_all([agent, lead_list])
    session.flush()
    return node, team, agent, campaign, lead_list


def test_crud_across_relations(sessions):
    with sessions.begin() as s:
        node, team, agent, campaign, lead_list = _centre(s)
        lead = Lead(
            list=lead_list, phone="+33612345678", timezone="Europe/Paris", fields={"name": "Zoé", "n": 3}
        )
        s.add(lead)
        s.flush()
        attempt = Attempt(
            lead=lead,
            campaign=campaign,
            node=node,
            agent=agent,
            phone=lead.phone,
            channel_id="1700000000.1",
            originated_at=T0,
            answered_at=T0 + timedelta(seconds=5),
            amd_at=T0 + timedelta(seconds=8),
            amd_verdict=AmdVerdict.HUMAN,
            amd_cause="HUMAN-500-500",
            bridged_at=T0 + timedelta(seconds=8, milliseconds=4),
            ended_at=T0 + timedelta(seconds=90),
            outcome=Outcome.CONNECTED,
            hangup_cause=16,
            disposition=campaign.dispositions[0],
        )
        call = Call(
            attempt=attempt,
            campaign_id=campaign.id,
            node=None,
            direction=CallDirection.OUTBOUND,
            callee=lead.phone,
            started_at=T0,
        )
        s.add_all(
            [
                call,
                Recording(call=call, attempt=attempt, path="/rec/a.wav", duration_s=Decimal("82.5")),
                AgentStateLog(agent=agent, state=AgentState.ON_CALL, started_at=T0, campaign_id=campaign.id),
                AuditLog(
                    user_id=team.leader_id,
                    actor="lea",
                    action="campaign.start",
                    target_type="campaign",
                    target_id=str(campaign.id),
                    details={"from": "stopped", "to": "running"},
                ),
                DeskRequest(
                    kind="preview_dial",
                    node_id=node.id,
                    agent_id=agent.id,
                    lead_id=lead.id,
                    payload={"lead": lead.id},
                ),
                DncEntry(phone="+442071234567", reason="asked"),
                Order(attempt=attempt, agent=agent, team=team,
                      product=Product(name="Plan", price=Decimal("24.95")), quantity=2,
                      amount=Decimal("49.90"), sold_at=T0 + timedelta(seconds=90)),
            ]
        )
        attempt_id, campaign_id = attempt.id, campaign.id

    with sessions() as s:
        attempt = s.get(Attempt, attempt_id)
        assert isinstance(attempt.id, uuid.UUID)
        assert attempt.lead.list.campaign.name == "Spring"
        assert attempt.lead.campaign_id == campaign_id  # copied from the list on insert
        assert attempt.lead.fields == {"name": "Zoé", "n": 3}
        assert attempt.lead.status is LeadStatus.NEW
        assert attempt.lead.priority == 5
        assert attempt.outcome is Outcome.CONNECTED
        assert attempt.amd_verdict is AmdVerdict.HUMAN
        assert attempt.bridged_at == T0 + timedelta(seconds=8, milliseconds=4)
        assert attempt.bridged_at.tzinfo is not None
        assert attempt.bridged_at.utcoffset() == timedelta(0)
        order = s.scalars(select(Order).where(Order.attempt_id == attempt.id)).one()
        assert (order.amount, order.quantity, order.product.price) == (Decimal("49.90"), 2, Decimal("24.95"))
        assert order.payment is PaymentStatus.PENDING
        assert order.refunded == Decimal("0.00")
        assert attempt.disposition.is_sale
        assert attempt.agent.team.leader.username == "lea"
        assert attempt.agent.seat.node.name == "pbx1"
        assert attempt.agent.user.role is UserRole.AGENT
        call = attempt.calls[0]
        assert call.direction is CallDirection.OUTBOUND
        assert call.callee == lead.phone
        assert (call.recordings[0].path, call.recordings[0].duration_s) == ("/rec/a.wav", Decimal("82.5"))
        campaign = s.get(Campaign, campaign_id)
        assert campaign.desired_state is CampaignState.STOPPED
        assert campaign.amd_action is MachineAction.HANGUP
        assert campaign.abandon_cap == Decimal("0.03")
        assert [d.code for d in campaign.dispositions] == ["sale", "cb"]
        assert campaign.retry_rules[0].outcome is Outcome.BUSY
        assert campaign.teams[0].name == "Team A"
        assert campaign.calling_hours == {"mon": [["09:00", "20:00"]]}
        command = s.scalars(select(DeskRequest)).one()
        assert command.status is DeskRequestStatus.PENDING
        assert command.payload == {"lead": command.lead_id}
        assert s.scalars(select(AuditLog)).one().details["to"] == "running"
        assert s.scalars(select(AgentStateLog)).one().ended_at is None


def test_times_are_stored_as_utc_and_naive_times_are_refused(sessions):
    paris = timezone(timedelta(hours=1))
    with sessions.begin() as s:
        _, _, _, _, lead_list = _centre(s)
        s.add(
            Lead(list=lead_list, phone="+33100000001", next_call_at=datetime(2026, 3, 2, 15, 0, tzinfo=paris))
        )
    with sessions() as s:
        lead = s.scalars(select(Lead)).one()
        assert lead.next_call_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
        assert lead.next_call_at.tzinfo is UTC
        assert lead.created_at.tzinfo is UTC
        lead.next_call_at = datetime(2026, 3, 2, 14, 0)  # naive
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()


def test_unknown_enum_values_are_refused(sessions):
    with sessions() as s:
        s.add(User(username="x", password_hash="x", role="root"))
        with pytest.raises(StatementError, match="'root' is not a valid UserRole"):
            s.flush()


def test_foreign_keys_and_their_actions_are_enforced(sessions):
    with sessions.begin() as s:
        _, team, _, campaign, lead_list = _centre(s)
        s.add_all(Lead(list=lead_list, phone=f"+3310000000{i}") for i in range(3))
        list_id, campaign_id, user_id = lead_list.id, campaign.id, team.leader_id

    with sessions() as s:
        s.add(Lead(list_id=987654, campaign_id=campaign_id, phone="+33100000009"))
        with pytest.raises(IntegrityError):
            s.flush()

    with sessions.begin() as s:  # deleting a user keeps the team, without a leader
        s.execute(delete(User).where(User.id == user_id))
    with sessions.begin() as s:  # deleting a list deletes its leads (database-side cascade)
        s.execute(delete(LeadList).where(LeadList.id == list_id))
    with sessions() as s:
        assert s.scalars(select(Team)).one().leader_id is None
        assert s.scalar(select(func.count()).select_from(Lead)) == 0


def test_a_number_appears_once_per_list_and_once_on_the_global_dnc_list(sessions):
    with sessions.begin() as s:
        _, _, _, campaign, lead_list = _centre(s)
        s.add(DncEntry(phone="+33100000001"))
        s.add(DncEntry(phone="+33100000001", campaign_id=campaign.id))  # a campaign entry is separate
        s.add(Lead(list=lead_list, phone="+33100000001"))
        list_id = lead_list.id
    with sessions() as s:
        s.add(Lead(list_id=list_id, phone="+33100000001"))
        with pytest.raises(IntegrityError):
            s.flush()
    with sessions() as s:
        s.add(DncEntry(phone="+33100000001"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_assigning_a_list_moves_its_leads_to_the_campaign(sessions):
    with sessions.begin() as s:
        _centre(s)
        other = Campaign(
            name="Autumn", mode=CampaignMode.PROGRESSIVE, compliance_profile=ComplianceProfile.US
        )
        unassigned = LeadList(name="import-2")
        s.add_all([other, unassigned])
        s.flush()
        s.add_all(Lead(list=unassigned, phone=f"+1202555010{i}") for i in range(3))
        s.flush()
        assert {lead.campaign_id for lead in unassigned.leads} == {None}
        assign_list(s, unassigned, other.id)
        other_id, list_id = other.id, unassigned.id
    with sessions() as s:
        leads = s.scalars(select(Lead).where(Lead.list_id == list_id)).all()
        assert {lead.campaign_id for lead in leads} == {other_id}
        assert s.get(LeadList, list_id).campaign_id == other_id
