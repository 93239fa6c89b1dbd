"""The morning report: one team's day per agent (logged in, paused by reason, talk, dials, connects,
sales) with the team's total, as a page, an XLSX and a PDF; a team leader reports on their own
teams only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from store.enums import AgentState, Outcome
from store.models import Agent, AgentStateLog, Campaign, Team, User
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: agent1's day: (state, reason, minutes), one after another from 08:00
STATES = [(AgentState.READY, "", 60), (AgentState.PAUSED, "lunch", 30), (AgentState.ON_CALL, "", 20),
          (AgentState.PAUSED, "", 10), (AgentState.LOGGED_OUT, "", 600)]


def _seed(app):
    with app.app_context(), sessions().begin() as s:
        agent1 = s.scalars(select(Agent).join(Agent.user).where(User.username == "agent1")).one()
        start = DAY
        for state, reason, minutes in STATES:
            end = start + timedelta(minutes=minutes)
            s.add(AgentStateLog(agent_id=agent1.id, state=state, reason=reason, started_at=start,
                                ended_at=end))
            start = end
        [lead] = seed.leads(s, s.scalars(select(Campaign)).first(), ["+442079460077"])
        seed.attempt(s, lead, agent=agent1, start=DAY + timedelta(hours=1, minutes=35),
                     outcome=Outcome.CONNECTED, talk_s=300, disposition="SALE", amount="650.00")
        return {t.name: t.id for t in s.scalars(select(Team))}


def test_the_team_leader_s_morning_report_as_page_xlsx_and_pdf(app, as_role, two_teams):  # noqa: F811
    teams = _seed(app)
    lead = as_role("lead1")
    page = lead.get(f"/reports/morning?team={teams['Team 1']}&day=2026-03-02").get_data(as_text=True)
    assert "Morning report: Team 1, 2026-03-02" in page
    row = page[page.index("<td>agent1</td>"):].split("</tr>")[0]
    # 2 h logged in (ready 1 h, lunch 30 min, on call 20 min, a pause with no reason 10 min), talk 5 min,
    # the fixture's call and ours: 2 dials, 2 connects, 1 sale of 650.00
    cells = ["<td>2:00:00</td><td>0:30:00</td><td>0:10:00</td><td>0:05:",
             "<td>2</td><td>2</td><td>1</td><td>650.00</td>"]
    for cell in cells:
        assert cell in row, (cell, row)
    assert "<th scope=\"col\">Paused: lunch</th><th scope=\"col\">Paused: no reason given</th>" in page
    assert "Sales 650.00 against a target of 700" in page  # one agent logged in that day

    xlsx = lead.get(f"/reports/morning?team={teams['Team 1']}&day=2026-03-02&format=xlsx")
    assert xlsx.status_code == 200
    assert "attachment; filename=morning-" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:4] == ["Agent", "Logged in", "Paused: lunch", "Paused: no reason given"]
    assert values[1][0] == "agent1"
    assert values[1][1] == "2:00:00"
    assert values[-1][0] == "Team total"
    assert values[-1][-1] == 650

    pdf = lead.get(f"/reports/morning?team={teams['Team 1']}&day=2026-03-02&format=pdf")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    body = pdf.get_data()
    assert body.startswith(b"%PDF-")
    assert b"WenQuanYiZenHei" in body  # the embedded font that prints Chinese names (and Latin)
    assert b"Team 1: 2026-03-02" in body  # the document's title


def test_a_team_leader_reports_on_their_own_teams_only(as_role, two_teams, app):  # noqa: F811
    teams = _seed(app)
    lead = as_role("lead1")
    page = lead.get("/reports/morning").get_data(as_text=True)  # yesterday, their first team
    assert "Morning report: Team 1," in page
    assert "Team 2" not in page
    assert lead.get(f"/reports/morning?team={teams['Team 2']}").status_code == 404
    assert lead.get("/reports/morning?day=yesterday").status_code == 400
    assert as_role("agent1").get("/reports/morning").status_code == 403
    assert "Team 2" in as_role("sup").get(f"/reports/morning?team={teams['Team 2']}").get_data(as_text=True)
