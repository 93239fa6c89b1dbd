"""Live updates (``web.live``): which page hears of which change, and the event streams themselves.

The fingerprints are read from rows as the runner writes them; the streams are
read through the test client, as a browser's EventSource reads them, with the
app's one poller running.
"""

from __future__ import annotations

import contextlib
import http.client
import queue
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from store.enums import AgentState, Outcome, UserRole
from store.models import Agent, Attempt, Lead, User
from store.types import utcnow
from tests.web import seed
from tests.web.conftest import Client, _password_hash
from tests.web.test_browser import live_url  # noqa: F401 - fixture (the app in a threaded server)
from web.db import sessions
from web.live import stream
from web.live.changes import BOARD, agent_topic, campaign_topic, observe

WAIT_S = 10  # a bound on waiting for an event, never a measure of speed


@pytest.fixture(autouse=True)
def quick_keepalive(monkeypatch):
    """Keep-alives every 0.2 s: a stream the test is done with ends at once."""
    monkeypatch.setattr(stream, "KEEPALIVE_S", 0.2)


@pytest.fixture
def two_agents(app):
    """agent1 and agent2 on campaign C1 (agent2 in another team), a lead to dial."""
    with app.app_context(), sessions().begin() as s:
        s.add(Agent(user=User(username="agent2", password_hash=_password_hash(), role=UserRole.AGENT)))
        s.flush()
        a1 = seed.agent(s)
        a2 = seed.agent(s, "agent2", team="Team 2")
        c = seed.campaign(s)
        now = datetime.now(UTC)
        seed.state(s, a1, AgentState.READY, now, campaign=c)
        seed.state(s, a2, AgentState.READY, now, campaign=c)
        seed.leads(s, c, ["+442079460001"])
        return a1.id, a2.id, c.id


def _observe(app) -> dict:
    with app.app_context(), sessions()() as s:
        return observe(s, utcnow())


def _moved(before: dict, after: dict) -> set[str]:
    return {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}


def test_a_change_moves_the_topics_of_the_pages_that_show_it_and_no_other(app, two_agents):
    a1, a2, c = two_agents
    before = _observe(app)
    assert _moved(before, _observe(app)) == set()  # nothing changed: nothing to push
    with app.app_context(), sessions().begin() as s:  # the runner: agent2 paused for lunch
        seed.state(s, s.get_one(Agent, a2), AgentState.PAUSED, datetime.now(UTC), reason="lunch")
    after = _observe(app)
    assert _moved(before, after) == {BOARD, agent_topic(a2), campaign_topic(c)}

    with app.app_context(), sessions().begin() as s:  # a call for agent1 starts, then is bridged
        (lead,) = s.scalars(select(Lead)).all()
        attempt = seed.attempt(
            s, lead, agent=s.get_one(Agent, a1), start=datetime.now(UTC), outcome=None, ended=False
        )  # ringing, the agent reserved for it
        attempt_id = attempt.id
    ringing = _observe(app)
    assert _moved(after, ringing) == {BOARD, agent_topic(a1), campaign_topic(c)}
    with app.app_context(), sessions().begin() as s:
        s.get_one(Attempt, attempt_id).bridged_at = datetime.now(UTC)
    bridged = _observe(app)
    assert _moved(ringing, bridged) == {BOARD, agent_topic(a1), campaign_topic(c)}
    with app.app_context(), sessions().begin() as s:  # the call ends
        s.get_one(Attempt, attempt_id).ended_at = datetime.now(UTC)
    assert _moved(bridged, _observe(app)) == {BOARD, agent_topic(a1), campaign_topic(c)}


@contextlib.contextmanager
def _events(base: str, client: Client, url: str) -> Iterator[queue.Queue[str]]:
    """The stream's events (``event:`` names and ``retry:``) over HTTP from the app in a threaded
    server, read in a thread as they come; closing the connection ends the stream on its next
    keep-alive, as when a browser leaves the page."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=WAIT_S)
    cookie = client.raw.get_cookie("session")
    assert cookie is not None
    conn.request("GET", url, headers={"Cookie": f"session={cookie.value}", "Accept": "text/event-stream"})
    response = conn.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    out: queue.Queue[str] = queue.Queue()

    def read() -> None:
        with contextlib.suppress(OSError, ValueError):  # closed by the test: the end
            while line := response.readline():
                if line.startswith((b"event:", b"retry:")):
                    out.put(line.decode().strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield out
    finally:
        conn.sock.shutdown(socket.SHUT_RDWR) if conn.sock else None
        conn.close()
        reader.join(WAIT_S)


def _next(events: queue.Queue[str]) -> str:
    try:
        return events.get(timeout=WAIT_S)
    except queue.Empty:
        raise AssertionError(f"no event within {WAIT_S} s") from None


def test_the_agents_stream_says_when_their_call_changed_and_the_panel_refetches(
    app,
    live_url,  # noqa: F811
    as_role,
    two_agents,
):
    a1, _, _ = two_agents
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    since = page.split('sse-connect="/agent/events?since=')[1].split('"')[0]
    with _events(live_url, agent, f"/agent/events?since={since}") as events:
        assert _next(events) == f"retry: {stream.RETRY_MS}"
        assert _next(events) == "event: changed"  # the poller was not running when the page was made
        with app.app_context(), sessions().begin() as s:  # the runner: a call bridged to agent1
            (lead,) = s.scalars(select(Lead)).all()
            seed.attempt(
                s,
                lead,
                agent=s.get_one(Agent, a1),
                start=datetime.now(UTC) - timedelta(seconds=5),
                outcome=Outcome.CONNECTED,
                ended=False,
            )
            seed.state(s, s.get_one(Agent, a1), AgentState.ON_CALL, datetime.now(UTC))
        assert _next(events) == "event: changed"
        live = agent.get("/agent/live?shown_controls=False:&shown_call=").get_data(as_text=True)
        assert "On the call with <strong>+442079460001</strong>" in live
        assert 'id="screen-pop"' in live  # another call on screen: its part is sent


def test_a_wallboard_rendered_before_a_change_catches_up_when_its_stream_connects(
    app,
    live_url,  # noqa: F811
    as_role,
    two_agents,
):
    _, a2, _ = two_agents
    sup = as_role("sup")
    with _events(live_url, sup, "/wallboard/events") as first:  # another wallboard keeps the poller going
        assert _next(first).startswith("retry:")
        assert _next(first) == "event: changed"  # no mark: it catches up
        page = sup.get("/wallboard/").get_data(as_text=True)
        since = page.split('sse-connect="/wallboard/events?since=')[1].split('"')[0]
        assert 'data-agent="agent2"' in page
        with app.app_context(), sessions().begin() as s:  # agent2 pauses before the page's stream connects
            seed.state(s, s.get_one(Agent, a2), AgentState.PAUSED, datetime.now(UTC), reason="lunch")
        assert _next(first) == "event: changed"  # the poller saw it
        with _events(live_url, sup, f"/wallboard/events?since={since}") as late:
            assert _next(late).startswith("retry:")
            assert _next(late) == "event: changed"
        board = sup.get("/wallboard/board").get_data(as_text=True)
        assert '<td class="reason">lunch</td>' in board
        assert "hx-trigger" not in board  # the part alone, swapped in place
        with app.app_context():  # a page rendered now has nothing to catch up on
            assert not stream.hub().changed_since(stream.hub().mark(), [BOARD])


def test_streams_need_a_login_and_the_right_role_and_are_refused_past_the_limit(
    app, as_role, client, two_agents, monkeypatch
):
    assert client.get("/wallboard/events").status_code == 302  # to the login page
    assert as_role("agent1").get("/wallboard/events").status_code == 403
    _, _, c = two_agents
    assert as_role("agent1").get(f"/campaigns/{c}/progress/events").status_code == 403
    assert as_role("sup").get("/agent/events").status_code == 403  # no agent profile: no panel to update
    monkeypatch.setattr(stream, "MAX_STREAMS", 0)
    refused = as_role("sup").get("/wallboard/events")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
