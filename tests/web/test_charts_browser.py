"""The charts (Chart.js, vendored) render in Debian's Chromium with the figures of the tables that describe
them: the reports (per agent, per hour, sales against target, campaign outcomes; survey rate and CSAT,
QA scores week by week, complaints by state and overdue), the campaign page and the wallboard; each
canvas is an image with a name, described by a table (screen readers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from orchestrator.quality.sampling import week_of
from orchestrator.quality.tickets import State
from store.enums import CampaignState, LeadStatus, Outcome, UserRole
from store.models import Agent, Attempt, Call, Lead, SurveyAnswer, User
from store.models.quality import QaScore, Scorecard, ScorecardVersion, Ticket
from tests.web import seed
from tests.web.conftest import PASSWORD
from tests.web.test_browser import _login, live_url, page  # noqa: F401 - fixtures
from web.auth import services as auth_services
from web.db import sessions

#: What a drawn chart says of itself (its type, labels, datasets, how many of its pixels are painted), or
#: null while its canvas is not drawn yet (a live part swapped in a moment ago): read in one go, so a swap
#: cannot come between the look at the pixels and the look at the data.
DRAWN = """(id) => {
  const canvas = document.getElementById(id), chart = canvas && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) painted++;
  if (!painted) return null;
  return {type: chart.config.type, labels: chart.data.labels, painted,
          data: Object.fromEntries(chart.data.datasets.map(d => [d.label, d.data])),
          described: document.getElementById(canvas.getAttribute('aria-describedby')) !== null,
          name: canvas.getAttribute('aria-label'), role: canvas.getAttribute('role')};
}"""


@pytest.fixture
def day_of_calls(app):
    """Today, a minute ago: agent1 (Team 1) sold 120 on one call and had a busy line, agent2 (Team 2) had
    a call without a sale, and a machine nobody took; three of the campaign's leads are done."""
    now = datetime.now(UTC)
    start = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    with app.app_context(), sessions().begin() as s:
        auth_services.create_user(s, "agent2", PASSWORD, UserRole.AGENT)
        s.flush()
        a1, a2 = seed.agent(s, "agent1", "Team 1"), seed.agent(s, "agent2", "Team 2")
        c = seed.campaign(s, "Spring")
        c.desired_state = CampaignState.RUNNING
        leads = seed.leads(s, c, [f"+4420794600{i:02d}" for i in range(1, 6)])
        seed.attempt(s, leads[0], agent=a1, start=start, outcome=Outcome.CONNECTED, disposition="SALE",
                     amount="120.00")
        seed.attempt(s, leads[1], agent=a1, start=start, outcome=Outcome.BUSY)
        seed.attempt(s, leads[2], agent=a2, start=start, outcome=Outcome.CONNECTED, disposition="NO")
        seed.attempt(s, leads[3], agent=None, start=start, outcome=Outcome.MACHINE)
        for lead, outcome in ((leads[0], Outcome.CONNECTED), (leads[2], Outcome.CONNECTED),
                              (leads[3], Outcome.MACHINE)):
            lead.status, lead.last_outcome = LeadStatus.DONE, outcome
        s.flush()
        campaign_id = c.id
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(Lead.id).where(Lead.status == LeadStatus.DONE)) is not None
    return campaign_id, start.strftime("%H:00")


@pytest.fixture
def quality_of_the_day(app, day_of_calls):
    """On the day's calls: agent1's sale scored 80 % and a call of theirs 8 days ago 60 %, agent2's call
    90 %; agent1's two customers asked for the survey (one answered 5), agent2's one answered 2; Team 1
    has a complaint overdue on its first step, one accepted just now and a closed one. Returns the first
    day of a period over both weeks."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        version = ScorecardVersion(scorecard=Scorecard(name="Calls"), number=1, form={}, published_at=now)
        s.add(version)
        a1, a2 = (s.scalars(select(Agent).join(User).where(User.username == name)).one()
                  for name in ("agent1", "agent2"))
        spare = s.scalars(select(Lead).where(Lead.phone == "+442079460005")).one()
        earlier = seed.attempt(s, spare, agent=a1, start=now - timedelta(days=8), outcome=Outcome.CONNECTED)
        calls = {"earlier" if a.id == earlier.id else a.agent_id: call_id for a, call_id in s.execute(
            select(Attempt, Call.id).join(Call, Call.attempt_id == Attempt.id)
            .where(Attempt.outcome == Outcome.CONNECTED))}
        for key, agent, percent in (("earlier", a1, 60), (a1.id, a1, 80), (a2.id, a2, 90)):
            s.add(QaScore(version=version, call_id=calls[key], agent_id=agent.id, team_id=agent.team_id,
                          percent=percent))
        for i, (agent, score) in enumerate(((a1, 5), (a1, None), (a2, 2))):
            s.add(SurveyAnswer(call_id=calls[agent.id], channel_id=f"ch{i}", agent_id=agent.id,
                               team_id=agent.team_id, offered_at=now, answered_at=now if score else None,
                               score=score))
        for state, since in ((State.ANSWERED, now - timedelta(hours=5)), (State.ACCEPTED, now),
                             (State.CLOSED, now)):
            s.add(Ticket(subject=f"A complaint {state}", team_id=a1.team_id, state=state, state_since=since))
    return (now - timedelta(days=8)).date()


def _drawn(tab, chart_id: str) -> dict:
    """The chart once its canvas has been drawn on; it is an image with a name, described by a table."""
    found = tab.wait_for_function(DRAWN, arg=chart_id).json_value()
    assert (found["role"], bool(found["name"]), found["described"]) == ("img", True, True), found
    return found


def test_the_reports_campaign_page_and_wallboard_draw_their_figures(
    app, live_url, page, day_of_calls, quality_of_the_day, tmp_path  # noqa: F811
):
    campaign_id, hour = day_of_calls
    page.set_viewport_size({"width": 1280, "height": 1600})  # screenshots of the whole page, unresized
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/reports/")
    per_agent = _drawn(page, "per-group")
    assert (per_agent["type"], per_agent["labels"]) == ("bar", ["agent1", "agent2"])
    assert per_agent["data"] == {"Dials": [2, 1], "Connects": [1, 1], "Sales": [1, 0]}
    per_hour = _drawn(page, "per-hour")
    assert (per_hour["labels"], per_hour["data"]) == ([hour], {"Dials": [4], "Connects": [2]})
    target = _drawn(page, "against-target")
    assert target["labels"] == ["agent1", "agent2"]
    assert target["data"]["Net sales"] == [120, 0]
    outcomes = _drawn(page, "outcomes")
    assert outcomes["labels"] == ["Spring"]
    assert outcomes["data"] == {"busy": [1], "connected": [2], "machine": [1]}
    page.screenshot(path=str(tmp_path / "reports.png"))  # for a person (--basetemp)

    first = quality_of_the_day
    page.goto(f"{live_url}/reports/?from={first}&to={datetime.now(UTC).date()}")
    surveys = _drawn(page, "survey-chart")
    assert (surveys["labels"], surveys["data"]) == (["agent1", "agent2"],
                                                    {"Survey rate %": [50, 100], "CSAT %": [100, 0]})
    table = page.locator("#surveys tr").all_inner_texts()
    assert "50.0%\t" in table[1]  # percentages per the language (English: no space)
    assert "\t0.0%\t" in table[2]
    weeks = [week_of(first).isoformat(), week_of(datetime.now(UTC).date()).isoformat()]
    qa = _drawn(page, "qa-chart")
    assert (qa["type"], qa["labels"]) == ("line", weeks)
    assert qa["data"] == {"agent1": [60, 80], "agent2": [None, 90]}  # agent2: no score the first week
    cells = page.locator("#qa-chart-table tr").nth(1).locator("td")  # in a folded <details>: its text
    assert cells.all_text_contents() == [weeks[0], "60", ""]
    tickets = _drawn(page, "tickets-chart")
    assert (tickets["labels"], tickets["data"]) == (["answered", "accepted", "closed"],
                                                    {"On time": [0, 1, 1], "Overdue": [1, 0, 0]})
    cells = page.locator("#tickets-chart-table tr").nth(1).locator("td")
    assert cells.all_text_contents() == ["answered", "0", "1"]
    page.screenshot(path=str(tmp_path / "reports-quality.png"), full_page=True)

    page.goto(f"{live_url}/campaigns/{campaign_id}/progress")
    done = _drawn(page, "done-chart")
    assert (done["type"], done["labels"], done["data"]) == ("doughnut", ["connected", "machine"],
                                                            {"Leads": [2, 1]})
    assert _drawn(page, "status-chart")["data"]["Leads"][list(LeadStatus).index(LeadStatus.DONE)] == 3

    page.screenshot(path=str(tmp_path / "campaign.png"))

    page.goto(f"{live_url}/wallboard/")
    assert sum(_drawn(page, "cph")["data"]["Connects"]) == 2  # over the last 12 hours
    page.screenshot(path=str(tmp_path / "wallboard.png"))
