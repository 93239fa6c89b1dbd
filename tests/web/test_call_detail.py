"""The call detail page: timeline, recording, disposition, order lines, notes; the call log's scope."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.enums import AmdVerdict, CallDirection, CampaignMode, Outcome
from store.models import Attempt, Call, Campaign, Disposition, Order, Product, Recording
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.calls.detail import cause_text
from web.db import sessions

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_calls(app, two_teams):  # noqa: F811 - the fixture imported above
    """The call log's scope fixture (agent1 in Team 1 led by lead1, agent2 in Team 2), agent1's call made a
    sale with AMD, a hangup cause, notes and an order line."""
    rec1, rec2, _ = two_teams
    with app.app_context(), sessions().begin() as s:
        sale, other = (s.get(Recording, r).attempt for r in (rec1, rec2))
        sale.amd_at, sale.amd_verdict = sale.answered_at + timedelta(seconds=2), AmdVerdict.HUMAN
        sale.amd_cause, sale.hangup_cause = "HUMAN-5", 16
        sale.disposition_id = s.scalar(select(Disposition.id).where(Disposition.code == "SALE"))
        sale.notes = "Wants delivery <b>Monday</b>\nsecond line"
        product = Product(name="Gold plan", price=Decimal("49.00"))
        s.add(product)
        s.flush()
        s.add(Order(attempt_id=sale.id, agent_id=sale.agent_id, campaign_id=sale.campaign_id,
                    product_id=product.id, quantity=2, amount=Decimal("98.00"), sold_at=DAY))
        return sale.calls[0].id, other.calls[0].id


def test_the_call_detail_page_tells_the_whole_call(as_role, two_calls):
    mine, _ = two_calls
    page = as_role("sup").get(f"/calls/{mine}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<title>Call {mine} · Switchboard</title>" in html
    steps = re.findall(r'data-step="([^"]+)"', html)
    assert steps == ["originate", "ring", "answer", "bridge", "AMD verdict", "hangup"]  # in time order
    assert "+15550001111 → +442079460001" in html  # from the campaign's caller ID to the lead
    assert "human (HUMAN-5), decided 2.0 s after the answer" in html
    assert "to agent1, 1.0 s after the answer" in html
    assert "cause 16 (normal clearing), 20 s of talk" in html
    assert 'src="/recordings/' in html  # the call log's player (range requests, audited per listening)
    assert '<p id="disposition">Sale</p>' in html
    assert "<td>Gold plan</td><td>2</td><td>CN¥98.00</td><td>pending</td>" in re.sub(r">\s+<", "><", html)
    assert "Wants delivery &lt;b&gt;Monday&lt;/b&gt;\nsecond line" in html  # escaped, line breaks kept


def test_the_call_log_links_each_call_to_its_page_and_shows_who_called(as_role, two_calls):
    mine, _ = two_calls
    html = as_role("sup").get("/calls").get_data(as_text=True)
    assert f'href="/calls/{mine}"' in html
    assert "<td>+15550001111</td>" in html  # the From column


def test_a_team_leader_opens_own_team_calls_only(as_role, two_calls):
    mine, theirs = two_calls
    lead = as_role("lead1")
    assert lead.get(f"/calls/{mine}").status_code == 200
    assert lead.get(f"/calls/{theirs}").status_code == 403
    assert lead.get("/calls/987654").status_code == 404
    assert as_role("agent1").get(f"/calls/{mine}").status_code == 403  # agents have no call log
    assert as_role("sup").get("/calls/abc").status_code == 404


def test_an_inbound_call_is_in_the_scope_of_the_team_of_the_agent_who_answered(app, as_role, two_calls):
    """No attempt: the call's own agent decides, as in the call log."""
    with app.app_context(), sessions().begin() as s:
        recordings = s.scalars(select(Recording).order_by(Recording.id))
        agent1, agent2 = (r.attempt.agent_id for r in recordings)
        ours, theirs = (Call(direction=CallDirection.INBOUND, caller="+442079460009", callee="+14005550400",
                             agent_id=agent, started_at=DAY) for agent in (agent1, agent2))
        s.add_all([ours, theirs])
        s.flush()
        ours_id, theirs_id = ours.id, theirs.id
    lead = as_role("lead1")
    assert lead.get(f"/calls/{ours_id}").status_code == 200
    assert lead.get(f"/calls/{theirs_id}").status_code == 403


def test_an_unanswered_call_shows_its_ring_and_cause(app, as_role):
    with app.app_context(), sessions().begin() as s:
        c = seed.campaign(s, "C2", CampaignMode.PROGRESSIVE)
        lead = seed.leads(s, c, ["+442079460009"])[0]
        att = seed.attempt(s, lead, agent=None, start=DAY, outcome=Outcome.BUSY)
        att.hangup_cause = 17
        s.flush()
        call = s.scalars(select(Call).where(Call.attempt_id == att.id)).one()
        call.caller, call_id = "", call.id  # the trunk presented no caller ID
    html = as_role("sup").get(f"/calls/{call_id}").get_data(as_text=True)
    assert re.findall(r'data-step="([^"]+)"', html) == ["originate", "ring", "hangup"]
    assert "20.0 s of ringing, never answered" in html
    assert "number withheld → +442079460009" in html  # no caller ID presented, as in the From column
    assert "cause 17 (user busy)" in html
    assert "No recording of this call." in html
    assert "No sale on this call." in html


def test_cause_text_names_known_causes_and_keeps_unknown_numbers():
    assert cause_text(21) == "21 (call rejected)"
    assert cause_text(699) == "699"
    assert cause_text(None) == "not reported"


def test_the_wallboard_links_an_agent_to_the_call_they_are_on(app, as_role):
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s)
        lead = seed.leads(s, c, ["+442079460003"])[0]
        att = seed.attempt(s, lead, agent=a, start=datetime.now(UTC), outcome=None, ended=False)
        att.bridged_at = datetime.now(UTC)
        s.flush()
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == att.id))
    snap = as_role("sup").get("/wallboard/snapshot.json").get_json()
    assert [a["call_id"] for a in snap["agents"] if a["name"] == "agent1"] == [call_id]


def test_the_runner_writes_the_presented_caller_id_as_the_calls_from(app):
    """The fact the dialer records carries the caller ID it put in the originate; the runner stores it."""
    from orchestrator.dialer import facts as f
    from runner.fact_writers import attempts

    with app.app_context(), sessions().begin() as s:
        c = seed.campaign(s)
        lead = seed.leads(s, c, ["+442079460004"])[0]
        attempt_id = "6b1f2c8e-0000-4000-8000-000000000001"
        fact = f.AttemptStarted(DAY.timestamp(), attempt_id, c.id, lead.id, "ch-1",
                                lead.phone, None, "+15550009999")
        attempts.started(type("T", (), {"node_id": None})(), s, fact)
        s.flush()
        caller = s.scalar(select(Call.caller).join(Attempt).where(Attempt.phone == lead.phone))
        assert caller == "+15550009999"
        assert s.scalar(select(Campaign.id)) == c.id
