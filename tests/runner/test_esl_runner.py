"""The ESL runner against a fake FreeSWITCH replaying real captures, on SQLite and PostgreSQL.

The runner, the adapter (greenswitch underneath) and the fake server share
this process's gevent hub; nothing is monkey-patched (the runner never
patches, see ``esl_runner``), so nothing leaks into pytest.

The captures' channels stand in for the campaign's calls: the agent's
nailed-up leg is ``bridge_two_legs``' first ``null/1001 &park`` originate,
the customer its second (``null/1002``), or ``originate_fail``'s
``error/user_busy``. ``sb_attempt_id`` is the runner's (from its database),
so the replay lets that one value differ; everything else the capture sent
must be sent identically.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import gevent
import gevent.event
import pytest
from sqlalchemy import select

from esl.connection import Backoff
from esl.render import DialConfig
from lab import demo
from orchestrator import commands as c
from orchestrator.dialer import routes
from orchestrator.leads.outcomes import Outcome
from runner.esl_runner import EslRunner
from runner.node import NodeInfo, RunnerOptions, load_node
from store import models as m
from store.enums import CampaignMode, LeadStatus, PbxKind
from store.types import utcnow
from tests.db.builders import TEST_SEALER, TEST_SECRETS_KEY
from tests.esl.fake_server import FakeEslServer, Script, resync_answer

NO_ROWS = resync_answer(rows=False)
FREE = frozenset({"sb_attempt_id"})
LAB = DialConfig(seat="null/{name}", trunks={"lab": "null/{number}", "busy": "error/user_busy"},
                 routes={routes.AGENT_HOLD: "&park", routes.OUTBOUND: "&park"})
OPTIONS = dict(tick_s=0.05, poll_s=0.05, state_poll_s=0.2, phone_retry_s=0.2,
               backoff=Backoff(initial=0.01, maximum=0.05, jitter=0.5))
WAIT_S = 15.0  # only reached when something is broken


def wait_until(predicate: Callable[[], object], what: str, timeout: float = WAIT_S) -> object:
    """Poll ``predicate`` (the database, the fake server) until it holds; yield to the hub in between."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        gevent.sleep(0.02)


def seed(sessions, port: int, trunk: str, phone: str, **campaign: object) -> int:
    """A FreeSWITCH node on the fake server, agent 1001 logging in, a progressive campaign with one lead."""
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("fs1", "127.0.0.1", port, "", "ClueCon"))
        node.kind = PbxKind.FREESWITCH
        agents = demo.ensure_agents(s, TEST_SEALER, node, [("1001", "seat-secret")])
        row = demo.create_campaign(s, "fs progressive", CampaignMode.PROGRESSIVE, [phone], trunk=trunk,
                                   **{"amd_enabled": False, "record_calls": False, **campaign})
        demo.log_in(s, node, row, agents)
        return row.id


@pytest.fixture
def run_node(sessions) -> Iterator[Callable[..., tuple[FakeEslServer, EslRunner]]]:
    """Start the fake server with ``scripts``, seed the database, run the runner in a greenlet."""
    started: list[tuple[FakeEslServer, gevent.event.Event, gevent.Greenlet]] = []

    def start(*scripts: Script, trunk: str, phone: str,
              **campaign: object) -> tuple[FakeEslServer, EslRunner]:
        server = FakeEslServer(list(scripts)).start()
        seed(sessions, server.port, trunk, phone, **campaign)
        with sessions() as s:
            node = load_node(s, "fs1", TEST_SEALER)
        runner = EslRunner(sessions, node, RunnerOptions(**OPTIONS), dial=LAB, command_timeout=1.0)
        runner.adapter._rng = random.Random(7)
        stop = gevent.event.Event()
        started.append((server, stop, gevent.spawn(runner.run, stop)))
        return server, runner

    yield start
    for server, stop, greenlet in started:
        stop.set()
        greenlet.join(timeout=WAIT_S)
        assert greenlet.dead, greenlet.exception
        assert greenlet.exception is None, greenlet.exception
        server.stop()


def customer_attempt(sessions) -> m.Attempt | None:
    with sessions() as s:
        return s.scalar(select(m.Attempt).where(m.Attempt.lead_id.is_not(None)))


def test_connects_then_logs_the_agent_in_and_dials_the_customer(sessions, run_node):
    server, runner = run_node(
        Script("bridge_two_legs", upto=4, end="segment", answers=NO_ROWS, free_vars=FREE),
        trunk="lab", phone="1002")
    attempt = wait_until(lambda: (a := customer_attempt(sessions)) and a.answered_at and a, "the answer")
    received = server.sessions[0].received
    # PbxConnected after auth, subscription and resync; the agent-leg sweep lists channels; then dialing.
    assert received[0] == "auth ClueCon\n\n"
    assert received[1].startswith("event plain ")
    assert received[2:5] == ["api show channels as json\n\n", "api show bridged_calls as json\n\n",
                             "api show channels as json\n\n"]
    assert runner.started
    agent_leg, customer = received[5], received[6]
    assert agent_leg.startswith("bgapi originate {")
    assert "}null/1001 &park\nJob-UUID: " in agent_leg
    assert f"origination_uuid={attempt.channel_id}," in customer
    assert f"sb_attempt_id={attempt.id}," in customer
    assert "}null/1002 &park\nJob-UUID: " in customer
    assert server.errors() == []
    with sessions() as s:
        assert s.get(m.Lead, attempt.lead_id).status is LeadStatus.DIALING
        assert s.scalar(select(m.DeskRequest.status)).value == "done"  # the agent_login


def test_a_failed_background_job_ends_the_attempt_with_its_cause(sessions, run_node):
    server, _ = run_node(
        Script("bridge_two_legs", upto=3, answers=NO_ROWS, free_vars=FREE,
               then=Script("originate_fail", skip=frozenset({0, 1}), upto=1, end="segment", answers=NO_ROWS,
                           free_vars=FREE)),
        trunk="busy", phone="1003")
    attempt = wait_until(lambda: (a := customer_attempt(sessions)) and a.ended_at and a, "the failure")
    assert attempt.outcome is Outcome.BUSY
    assert "}error/user_busy &park\nJob-UUID: " in server.sessions[0].received[-1]
    assert server.errors() == []
    with sessions() as s:
        lead = s.get(m.Lead, attempt.lead_id)
        assert lead.status is LeadStatus.PENDING
        assert lead.attempts == 1
        assert lead.claimed_by is None
        assert s.scalars(select(m.Call.hangup_cause)).all() == [17]  # USER_BUSY (no channel: error/)


def test_an_originate_freeswitch_would_misread_is_never_sent_and_fails_the_attempt(sessions, run_node):
    # A space is fine in a channel variable for the core (and Asterisk), not in a FreeSWITCH dial string.
    server, _ = run_node(Script("bridge_two_legs", upto=3, end="segment", answers=NO_ROWS, free_vars=FREE),
                         trunk="lab", phone="1002", abandon_message_file="custom/sorry we missed you")
    attempt = wait_until(lambda: (a := customer_attempt(sessions)) and a.ended_at and a, "the refusal")
    assert attempt.outcome is Outcome.REFUSED  # never sent: the node's failure, not the number's
    assert not [text for text in server.sessions[0].received if "null/1002" in text]
    assert server.errors() == []
    with sessions() as s:
        lead = s.get(m.Lead, attempt.lead_id)
        assert lead.status is LeadStatus.PENDING
        assert lead.claimed_by is None
        assert lead.attempts == 0


def test_an_originate_whose_reply_was_lost_is_reconciled_never_sent_again(sessions, run_node):
    server, _ = run_node(
        Script("bridge_two_legs", upto=4, end="drop", answers=NO_ROWS, free_vars=FREE),
        Script("bridge_two_legs", upto=2, end="segment", answers=NO_ROWS),
        trunk="lab", phone="1002")
    attempt = wait_until(lambda: (a := customer_attempt(sessions)) and a.ended_at and a, "the reconciliation")
    assert attempt.outcome is Outcome.LOST  # not live after the reconnect (resync: no channel)
    first, second = server.sessions[:2]
    assert f"origination_uuid={attempt.channel_id}," in first.received[-1]
    assert second.received[:4] == ["auth ClueCon\n\n", second.received[1], "api show channels as json\n\n",
                                   "api show bridged_calls as json\n\n"]
    assert not [text for text in second.received if attempt.channel_id in text or str(attempt.id) in text]
    with sessions() as s:
        lead = s.get(m.Lead, attempt.lead_id)
        assert lead.status is LeadStatus.PENDING
        assert lead.next_call_at > utcnow()


def test_the_cli_runs_a_freeswitch_node_in_the_esl_runner_until_sigterm(sessions, db_url, tmp_path):
    """`switchboard runner --pbx fs1` picks the ESL runner from the node's kind; SIGTERM stops it cleanly."""
    server = FakeEslServer([Script("bridge_two_legs", upto=4, end="segment", answers=NO_ROWS,
                                   free_vars=FREE)]).start()
    seed(sessions, server.port, "lab", "1002")
    log = tmp_path / "runner.log"
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": db_url, "SWITCHBOARD_INSTANCE_DIR": str(tmp_path),
           "SWITCHBOARD_SECRETS_KEY": TEST_SECRETS_KEY}  # the key the node row was sealed with
    command = [str(Path(sys.executable).with_name("switchboard")), "runner", "--pbx", "fs1"]
    with open(log, "w") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        # The default DialConfig dials seats as user/<seat>: the capture's null/1001 does not match, and the
        # replay says so. That is enough to show which runner the CLI started; dialing is tested above.
        wait_until(lambda: server.errors() or proc.poll() is not None, "the runner's first originate")
        assert proc.poll() is None, log.read_text()
        assert server.sessions[0].received[0] == "auth ClueCon\n\n"
        assert "user/1001 sb-agent-hold XML switchboard" in server.errors()[0]
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: proc.poll() is not None, "the runner to stop")
        assert proc.returncode == 0, log.read_text()
        assert "runner stopped node=fs1" in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()


def test_what_runs_on_a_waiting_customers_clock_has_its_own_sender(sessions):
    """A bridge, its recording and the redirect to the abandon message never queue behind hangups."""
    runner = EslRunner(sessions, NodeInfo(1, "fs1", "127.0.0.1", 8021, "", "ClueCon", PbxKind.FREESWITCH))
    customer, leg = "3f1d1c9a-0000-4000-8000-000000000001", "3f1d1c9a-0000-4000-8000-000000000002"
    for command in (c.Bridge(customer, leg), c.StartRecording(customer, "7/a.wav"),
                    c.Redirect(customer, routes.ABANDON)):
        runner.enqueue(command)
    runner.enqueue(c.Hangup(customer))
    assert [runner._handoffs.get_nowait() for _ in range(3)] == [
        c.Bridge(customer, leg), c.StartRecording(customer, "7/a.wav"), c.Redirect(customer, routes.ABANDON)]
    assert runner._others.get_nowait() == c.Hangup(customer)
    assert runner._handoffs.empty()
    assert runner._others.empty()
