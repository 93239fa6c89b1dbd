"""A customer's history on one page and complaints opened from the agent panel, through the web.

The history is scoped as the call log is (a team leader sees their teams' part; an agent sees the
history of a customer they spoke to, without recordings); a complaint from the panel is about a call
the agent took and lands with their team."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from orchestrator.quality.tickets import State
from store.enums import AgentState, CallDirection, Outcome, QueueOutcome, UserRole
from store.models import Agent, Call, Recording, Seat, Team, Ticket, User
from tests.web import seed
from tests.web.conftest import _password_hash
from web.db import sessions

CUSTOMER, OTHER = "+12015550101", "+12015550199"


@pytest.fixture
def world(app):
    """agent1 (Team 1, led by lea) sold to the customer on an outbound call (recorded); the customer
    later called in and agent2 (Team 2) answered; a complaint of Team 2; another customer's call."""
    with app.app_context(), sessions().begin() as s:
        a1 = seed.agent(s)
        lea = User(username="lea", password_hash=_password_hash(), role=UserRole.TEAM_LEADER)
        s.add(lea)
        s.scalars(select(Team)).one().leader = lea
        a2 = Agent(
            user=User(username="agent2", password_hash=_password_hash(), role=UserRole.AGENT),
            team=Team(name="Team 2"),
            seat=Seat(node=s.scalars(select(seed.PbxNode)).one(), extension="8099", secret="x"),
        )
        s.add(a2)
        c = seed.campaign(s)
        mine, other = seed.leads(s, c, [CUSTOMER, OTHER])
        start = datetime.now(UTC) - timedelta(hours=3)
        sold = seed.attempt(
            s,
            mine,
            agent=a1,
            start=start,
            outcome=Outcome.CONNECTED,
            talk_s=40,
            disposition="SALE",
            amount="149.00",
            recording="2026/12/04/sale.wav",
        )
        seed.attempt(s, other, agent=a1, start=start, outcome=Outcome.CONNECTED, talk_s=30, disposition="NO")
        inbound = Call(
            direction=CallDirection.INBOUND,
            caller="12015550101",
            callee="14005550400",
            started_at=start + timedelta(hours=1),
            answered_at=start + timedelta(hours=1),
            ended_at=start + timedelta(hours=1, minutes=2),
            agent_id=a2.id,
            queue_outcome=QueueOutcome.ANSWERED,
            queue_wait_s=Decimal("2"),
            pbx_call_id="in-1",
        )
        s.add(inbound)
        s.flush()
        s.add(
            Ticket(
                subject="Card not delivered",
                phone=CUSTOMER,
                call_id=inbound.id,
                team_id=a2.team_id,
                agent_id=a2.id,
                state=State.ANSWERED,
            )
        )
        return {
            "sale_call": s.scalar(select(Call.id).where(Call.attempt_id == sold.id)),
            "inbound_call": inbound.id,
            "recording": s.scalar(select(Recording.id)),
            "a1": a1.id,
            "a2": a2.id,
        }


def _text(page) -> str:
    return page.get_data(as_text=True)


def _directions(page: str) -> list[str]:
    return re.findall(r'<td class="direction">(\w+)</td>', page)


def test_the_history_shows_calls_both_ways_recordings_sales_and_complaints(app, as_role, world):
    page = _text(as_role("sup").get(f"/customers/{CUSTOMER}"))
    assert _directions(page) == ["inbound", "outbound"]  # newest first, the bare-digit inbound caller too
    assert f'src="/recordings/{world["recording"]}"' in page  # played by the call log's own route
    assert "Sale (149.00)" in page
    assert "149.00" in page.split('id="orders"')[1]
    assert "Card not delivered" in page
    assert "+12015550199" not in page  # the other customer's call
    bare = _text(as_role("sup").get("/customers/12015550101"))  # any stored form of the number
    assert bare.split("<h1>", 1)[1] == page.split("<h1>", 1)[1]


def test_the_history_is_scoped_like_the_call_log(app, as_role, world):
    page = _text(as_role("lea").get(f"/customers/{CUSTOMER}"))
    assert _directions(page) == ["outbound"]  # Team 2's inbound call is not hers
    assert "Card not delivered" not in page  # nor Team 2's complaint
    assert f'src="/recordings/{world["recording"]}"' in page


def test_an_agent_sees_the_history_of_a_customer_they_spoke_to_without_recordings(app, as_role, world):
    agent = as_role("agent1")
    page = _text(agent.get(f"/customers/{CUSTOMER}"))
    assert _directions(page) == ["inbound", "outbound"]
    assert "/recordings/" not in page
    assert "Card not delivered" in page
    assert agent.get("/customers/+12015550777").status_code == 403  # nobody they spoke to
    assert as_role("qa").get("/customers/no-digits").status_code == 400


def test_the_call_detail_and_the_ticket_link_to_the_history(app, as_role, world):
    sup = as_role("sup")
    detail = _text(sup.get(f"/calls/{world['inbound_call']}"))
    assert 'href="/customers/12015550101"' in detail
    assert f'href="/customers/{CUSTOMER}"' in _text(sup.get("/tickets/1"))


def _on_screen(app, world) -> None:
    """agent1 is talking to the customer: a bridged attempt, not disposed yet."""
    with app.app_context(), sessions().begin() as s:
        a1 = s.get(Agent, world["a1"])
        a1.state = AgentState.ON_CALL
        lead = s.scalars(select(seed.Lead).where(seed.Lead.phone == CUSTOMER)).one()
        seed.attempt(
            s,
            lead,
            agent=a1,
            start=datetime.now(UTC) - timedelta(minutes=1),
            outcome=Outcome.CONNECTED,
            ended=False,
        )


def test_an_agent_opens_a_complaint_about_the_call_on_screen(app, as_role, world):
    _on_screen(app, world)
    agent = as_role("agent1")
    panel = _text(agent.get("/agent/"))
    call_id = int(re.search(r'name="call_id" value="(\d+)"', panel).group(1))
    assert call_id not in (world["sale_call"], world["inbound_call"])
    pop = panel.split('id="screen-pop"')[1].split("</section>")[0]
    assert f'href="/customers/{CUSTOMER}"' in pop  # the screen pop links the history
    refused = agent.post(
        "/agent/complaint", {"call_id": call_id, "subject": " "}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422
    assert "a complaint needs a subject" in _text(refused)
    refused = agent.post(
        "/agent/complaint", {"call_id": call_id, "subject": "a\x00b"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422
    assert "NUL character" in _text(refused)
    answer = agent.post(
        "/agent/complaint",
        {"call_id": call_id, "subject": "Charged twice", "description": "Two debits on the 3rd"},
        headers={"HX-Request": "true"},
    )
    assert "Complaint 2 opened" in _text(answer)
    assert "<html" not in _text(answer)  # next to the form, which keeps its place
    with app.app_context(), sessions()() as s:
        ticket = s.get(Ticket, 2)
        team1 = s.scalar(select(Team.id).where(Team.name == "Team 1"))
        assert (ticket.call_id, ticket.team_id, ticket.agent_id, ticket.phone) == (
            call_id,
            team1,
            world["a1"],
            CUSTOMER,
        )
        assert [(e.state, e.by.username) for e in ticket.events] == [(State.ANSWERED, "agent1")]
        assert ticket.state_since == ticket.events[0].at
    assert "Charged twice" in _text(as_role("lea").get("/tickets"))  # her team's complaint


def test_an_agent_cannot_complain_about_a_call_they_did_not_take(app, as_role, world):
    agent = as_role("agent1")
    answer = agent.post(
        "/agent/complaint",
        {"call_id": world["inbound_call"], "subject": "Rude"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 422
    assert "that call is not one you took" in _text(answer)
    assert as_role("agent2").post("/tickets", {"subject": "x"}).status_code == 403  # the tickets page: no
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(Ticket.id).where(Ticket.subject == "Rude")) is None


def test_a_complaint_about_an_inbound_call_lands_with_the_answering_agents_team(app, as_role, world):
    """The last call agent2 took is the inbound one (no attempt): its team is the agent's, not none."""
    agent = as_role("agent2")
    panel = _text(agent.get("/agent/"))
    assert f'name="call_id" value="{world["inbound_call"]}"' in panel
    answer = agent.post(
        "/agent/complaint",
        {"call_id": world["inbound_call"], "subject": "Waited long"},
        headers={"HX-Request": "true"},
    )
    assert "opened" in _text(answer)
    with app.app_context(), sessions()() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.subject == "Waited long")).one()
        assert ticket.team_id == s.get(Agent, world["a2"]).team_id
        assert ticket.phone == "12015550101"


def test_the_complaint_form_offers_the_last_call_of_the_last_hours_only(app, as_role, world):
    """Five hours after agent1's calls the panel offers no call to complain about (the tickets page
    does); a complaint about an older call of theirs, posted anyway, is still theirs to open."""
    with app.app_context(), sessions().begin() as s:
        for call in s.scalars(select(Call)):
            call.started_at -= timedelta(hours=2)
    agent = as_role("agent1")
    assert 'id="complaint-form"' not in _text(agent.get("/agent/"))
    answer = agent.post(
        "/agent/complaint", {"call_id": world["sale_call"], "subject": "Late"}, headers={"HX-Request": "true"}
    )
    assert "opened" in _text(answer)
