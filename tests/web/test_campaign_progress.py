"""The campaign page: progress, rates, hours left, "why isn't it dialing", start/pause/stop and who."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from store.enums import AgentState, CampaignState, LeadStatus, Outcome, UserRole
from store.models import Agent, AuditLog, Campaign, Lead, PacingNote, PbxNode, User
from tests.web import seed
from web.campaigns.progress import QUIET_AFTER, progress
from web.db import sessions

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def running(app):
    """C1 running: 6 leads (2 finished: a sale and a busy-out), agent1 ready; 4 dials today."""
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s)
        seed.state(s, a, AgentState.READY, NOW - timedelta(hours=3), campaign=c)
        c.desired_state = CampaignState.RUNNING
        ls = seed.leads(s, c, [f"+44207946001{i}" for i in range(6)])
        for lead in ls:
            lead.timezone = "Europe/London"
        seed.attempt(s, ls[0], agent=a, start=NOW - timedelta(hours=2), outcome=Outcome.CONNECTED,
                     disposition="SALE")
        seed.attempt(s, ls[1], agent=a, start=NOW - timedelta(hours=1), outcome=Outcome.CONNECTED,
                     disposition="NO")
        seed.attempt(s, ls[2], agent=None, start=NOW - timedelta(minutes=30), outcome=Outcome.BUSY)
        # The node refused this one: not a dial.
        seed.attempt(s, ls[3], agent=None, start=NOW - timedelta(minutes=20), outcome=Outcome.REFUSED)
        seed.attempt(s, ls[4], agent=None, start=NOW - timedelta(minutes=10), outcome=Outcome.NO_ANSWER)
        ls[0].status, ls[0].last_outcome, ls[0].attempts = LeadStatus.DONE, Outcome.CONNECTED, 1
        ls[1].status, ls[1].last_outcome, ls[1].attempts = LeadStatus.DONE, Outcome.CONNECTED, 1
        ls[2].status, ls[2].attempts, ls[2].next_call_at = LeadStatus.PENDING, 1, NOW + timedelta(hours=1)
        ls[4].status, ls[4].attempts, ls[4].callback_agent_id = LeadStatus.CALLBACK, 1, a.id
        ls[4].next_call_at = NOW + timedelta(days=1)
        for lead in (ls[3], ls[5]):
            lead.next_call_at = NOW - timedelta(hours=3)
        return c.id


def _progress(app, campaign_id: int, now: datetime = NOW):
    with app.app_context(), sessions()() as s:
        p = progress(s, s.get(Campaign, campaign_id), now)
        return p, {c.name: (c.blocking, c.text) for c in p.checks}


def test_progress_counts_leads_dials_rates_and_time_left(app, running):
    p, checks = _progress(app, running)
    assert (p.total, p.dialed, p.due_now, p.callbacks, p.remaining) == (6, 4, 2, 1, 4)
    assert p.done_by_outcome == {"connected": 2}
    assert (p.dials, p.contacts, p.sales) == (4, 2, 1)  # the node's refusal is no dial
    assert (p.contact_rate, p.conversion_rate) == (0.5, 0.5)
    assert p.dials_today == 4
    assert p.pace_per_hour == pytest.approx(2.0)  # 4 dials in the 2 h since the first
    assert p.hours_left == pytest.approx(2.0)  # 4 leads still to call at 2 an hour
    assert checks["leads"] == (False, "2 due now")
    assert checks["agents"] == (False, "1 ready of 1 logged in")
    assert checks["hours"][0] is False
    assert checks["cap"] == (False, "no abandon cap brake")


def test_a_quiet_running_campaign_says_the_runner_is_down(app, running):
    _, checks = _progress(app, running, NOW + QUIET_AFTER + timedelta(seconds=1))
    assert checks["runner"][0] is True
    assert checks["runner"][1].startswith(
        "runner down: no runner has reported on this campaign since 2026-03-04 11:50")
    with app.app_context(), sessions().begin() as s:  # a pacing note is a runner's sign of life
        node = s.scalar(select(PbxNode))
        s.add(PacingNote(campaign_id=running, node_id=node.id, at=NOW + QUIET_AFTER, reasons="pace",
                         text="ok"))
    _, checks = _progress(app, running, NOW + QUIET_AFTER + timedelta(seconds=1))
    assert checks["runner"][0] is False


def test_why_not_dialing_names_each_brake(app, running):
    with app.app_context(), sessions().begin() as s:
        c = s.get(Campaign, running)
        c.calling_hours = {"mon": [["09:00", "17:00"]]}  # NOW is a Wednesday
        node = s.scalar(select(PbxNode))
        s.add(PacingNote(campaign_id=running, node_id=node.id, at=NOW, reasons="cap_brake,learning",
                         text="24 h abandon rate 2.9 % is close to the 3 % cap"))
        seed.state(s, s.scalars(select(Agent)).one(), AgentState.PAUSED, NOW)
    p, checks = _progress(app, running)
    assert not p.dialing
    assert checks["agents"] == (True, "no agent ready (1 logged in, 1 paused)")
    assert checks["hours"] == (
        True, "outside calling hours: none of the 2 due leads may be called at this local time")
    assert checks["cap"] == (True, "abandon cap brake: 24 h abandon rate 2.9 % is close to the 3 % cap")
    assert "runner" not in checks  # nobody to dial for: a quiet runner is no news then
    with app.app_context(), sessions().begin() as s:
        for lead in s.scalars(select(Lead)):
            lead.next_call_at = NOW + timedelta(hours=5)
    _, checks = _progress(app, running)
    assert checks["leads"] == (True, "no leads due: the next is due at 2026-03-04 17:00 UTC")


def test_the_campaign_page_starts_pauses_and_says_who(app, as_role, running):
    sup = as_role("sup")
    page = sup.get(f"/campaigns/{running}/progress")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>C1 · Campaign · Switchboard</title>" in html
    assert 'data-figure="total">Leads<div class="big">6</div>' in html
    assert re.search(r'data-check="leads">\s*✓ <strong>leads</strong>: \d+ due now', html)
    moved = sup.post(f"/campaigns/{running}/state", {"state": "paused", "back": "progress"})
    assert moved.status_code == 302
    assert moved.headers["Location"].endswith(f"/campaigns/{running}/progress")
    html = sup.get(f"/campaigns/{running}/progress").get_data(as_text=True)
    assert re.search(r"Paused\s+by <strong>sup</strong>", html)
    assert re.search(r'class="blocking" data-check="state">\s*✗ <strong>state</strong>: paused by sup', html)
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.target_id == str(running))).all() == [
            "campaign.paused"]
    listing = sup.get("/campaigns/").get_data(as_text=True)
    assert f'href="/campaigns/{running}/progress"' in listing


def test_the_campaign_page_refuses_unknown_and_unpermitted(as_role, running):
    assert as_role("sup").get("/campaigns/999/progress").status_code == 404
    assert as_role("agent1").get(f"/campaigns/{running}/progress").status_code == 403
    assert as_role("qa").get(f"/campaigns/{running}/progress").status_code == 403


def test_the_live_part_is_a_fragment_with_fresh_figures(app, as_role, running):
    sup = as_role("sup")
    page = sup.get(f"/campaigns/{running}/progress").get_data(as_text=True)
    assert f'hx-get="/campaigns/{running}/progress/live"' in page
    with app.app_context(), sessions().begin() as s:
        seed.state(s, s.scalars(select(Agent)).one(), AgentState.PAUSED, NOW)
    part = sup.get(f"/campaigns/{running}/progress/live")
    assert part.status_code == 200
    html = part.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="live-progress"')
    assert "<html" not in html
    assert "no agent ready (1 logged in, 1 paused)" in html
    assert as_role("agent1").get(f"/campaigns/{running}/progress/live").status_code == 403
    assert sup.get("/campaigns/999/progress/live").status_code == 404


def test_agents_are_counted_on_the_campaign_they_are_on_not_by_team(app, as_role, running):
    """The demo's team works two campaigns with four agents on each: each page says four, not eight."""
    with app.app_context(), sessions().begin() as s:
        other = seed.campaign(s, "C2")
        other.desired_state = CampaignState.RUNNING
        team = s.scalars(select(Agent)).one().team
        for i in range(2, 9):  # seven more agents of agent1's team: three on C1, four on C2
            user = User(username=f"agent{i}", password_hash="x", role=UserRole.AGENT)
            agent = Agent(user=user, team=team)
            s.add(agent)
            s.flush()
            on = s.get(Campaign, running) if i <= 4 else other
            seed.state(s, agent, AgentState.READY if i % 2 else AgentState.PAUSED, NOW, campaign=on)
    _, checks = _progress(app, running)
    assert checks["agents"] == (False, "2 ready of 4 logged in")  # agent1 and agent3 ready; 2, 4 paused
    snap = as_role("sup").get("/wallboard/snapshot.json").get_json()
    # The wallboard's dial level divides by the agents at work on the campaign (the paused are not).
    assert {c["name"]: c["agents"] for c in snap["campaigns"]} == {"C1": 2, "C2": 2}
