"""The reports page's inbound figures, against hand-counted calls: offered, answered, service level
(answered within 20 s of waiting, abandons in the denominator), average speed of answer, abandons,
voicemail, callback and closed per route; each agent's inbound calls; a team leader gets their own
agents' figures and not the centre's hotline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.enums import CallDirection, QueueOutcome
from store.models import Agent, Call, User
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
#: (outcome, waited s, answered by, talked s) of the hotline's callers that day
CALLERS = [
    (QueueOutcome.ANSWERED, 5, "agent1", 60),
    (QueueOutcome.OVERFLOW, 25, "agent2", 30),
    (QueueOutcome.ABANDONED, 10, None, 0),
    (QueueOutcome.VOICEMAIL, 120, None, 0),
    (QueueOutcome.CLOSED, None, None, 0),
]


@pytest.fixture
def hotline(app, two_teams):  # noqa: F811 - the fixture imported above
    with app.app_context(), sessions().begin() as s:
        route = seed.hotline(s)
        agents = dict(s.execute(select(User.username, Agent.id).join(Agent.user)).all())
        for i, (outcome, waited, agent, talked) in enumerate(CALLERS):
            start = DAY + timedelta(minutes=i)
            answered = start + timedelta(seconds=waited) if agent else None
            s.add(Call(direction=CallDirection.INBOUND, caller=f"1212555010{i}", callee="14005550400",
                       route_id=route.id, started_at=start, queue_outcome=outcome, pbx_call_id=f"c{i}",
                       queue_wait_s=None if waited is None else Decimal(waited), agent_id=agents.get(agent),
                       answered_at=answered,
                       ended_at=answered + timedelta(seconds=talked) if answered else start))


def test_the_hotline_s_figures_and_each_agent_s_inbound_calls(as_role, hotline):
    page = as_role("sup").get("/reports/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    route = page[page.index('id="inbound-routes"'):page.index('id="inbound-agents"')]
    # offered 4 (closed apart), answered 2 (1 by overflow), within 20 s: 1 -> 25.0 %, ASA (5+25)/2
    cells = ["400 hotline", "<td>4</td><td>2</td><td>1</td>", "25.0%", "15.0 s", "1 (25.0%)",
             "<td>1</td><td>0</td><td>1</td>"]
    for cell in cells:
        assert cell in route, cell
    agents = page[page.index('id="inbound-agents"'):]
    assert "<td>agent1</td><td>1</td><td>0</td>\n    <td>0:01:00</td>" in agents
    assert "<td>agent2</td><td>1</td><td>1</td>\n    <td>0:00:30</td>" in agents


def test_a_team_leader_sees_their_agents_inbound_calls_not_the_centre_s_hotline(as_role, hotline):
    page = as_role("lead1").get("/reports/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert 'id="inbound-routes"' not in page
    assert "<td>agent1</td><td>1</td>" in page
    assert "<td>agent2</td>" not in page[page.index('id="inbound-agents"'):]
