"""`switchboard run`: its processes under its supervisor (a killed child comes back, stop ends them all),
a demo seeded once on each PBX node, and one agent per seat.

The children are the real ones of ``switchboard run`` (runner, scheduler, web) on a test
box: a SQLite file of its own and nodes whose PBXes are not there (the runners keep
trying to connect), so nothing touches the shared sandbox.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from lab import demo
from lab.run_all import (
    DEMO_AGENTS,
    DEMO_CAMPAIGN,
    FS_DEMO_CAMPAIGN,
    FS_NODE,
    NODE,
    box_children,
    seed_demo,
)
from lab.sandbox import fsbuild, fsnode, fsrender
from lab.sandbox.credentials import fs_phone_credentials, phone_credentials
from lab.sandbox.layout import paths
from orchestrator.backoff import Backoff
from runner.commands_in import Refused, translate
from settings import Settings
from store import migrate
from store import models as m
from store.db import make_engine, session_factory
from store.enums import AgentState, CampaignState, DeskRequestStatus, PbxKind, UserRole
from store.models.quality import TicketState
from store.sealing import instance_sealer
from switchboard.supervisor import ChildSpec, Supervisor
from tests.web import seed as web_seed
from web.db import sessions

FAST = Backoff(initial=0.05, maximum=0.2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pids(supervisor: Supervisor) -> dict[str, int | None]:
    return {name: s.pid for name, s in supervisor.status().items()}


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def running() -> Iterator[Callable[..., Supervisor]]:
    """A supervisor running in a thread (``switchboard run`` runs it in its main thread)."""
    started: list[tuple[Supervisor, threading.Thread]] = []

    def start(specs: list[ChildSpec], **options: object) -> Supervisor:
        supervisor = Supervisor(specs, **options)
        thread = threading.Thread(target=supervisor.run, daemon=True)
        thread.start()
        started.append((supervisor, thread))
        return supervisor

    yield start
    for supervisor, thread in started:
        supervisor.request_stop()
        thread.join(30)


def test_a_killed_runner_is_restarted_and_stop_ends_every_child(tmp_path, running, caplog):
    settings = replace(Settings(instance_dir=tmp_path / "instance"), secret_key="test", web_port=_free_port())
    migrate.upgrade(settings.sqlalchemy_url, "head")
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine).begin() as s:  # PBXes that are not there: the runners keep trying
        sealer = instance_sealer(settings)
        demo.ensure_node(s, sealer, demo.NodeSpec(NODE, "127.0.0.1", _free_port(), "switchboard", "secret"))
        demo.ensure_node(s, sealer, demo.NodeSpec(FS_NODE, "127.0.0.1", _free_port(), "", "secret",
                                          kind=PbxKind.FREESWITCH))
    engine.dispose()
    caplog.set_level(logging.INFO, logger="switchboard.supervisor")

    supervisor = running(box_children(settings, None), backoff=FAST)
    assert supervisor.wait_for(lambda status: all(s.pid for s in status.values()), 30)
    first = _pids(supervisor)
    assert set(first) == {"runner", "runner-freeswitch", "scheduler", "web", "sms-sender"}

    os.kill(first["runner"], signal.SIGKILL)
    assert supervisor.wait_for(lambda status: status["runner"].pid not in (None, first["runner"]), 30)
    second = _pids(supervisor)
    others = ("runner-freeswitch", "scheduler", "web", "sms-sender")
    assert all(second[name] == first[name] for name in others)
    assert any("runner killed by SIGKILL" in r.getMessage() for r in caplog.records)

    supervisor.request_stop()
    assert supervisor.wait_for(lambda status: not any(s.pid for s in status.values()), 30)
    assert not any(_alive(pid) for pid in second.values())


def test_a_child_that_keeps_dying_is_retried_with_its_reason_logged(tmp_path, running, caplog):
    caplog.set_level(logging.INFO, logger="switchboard.supervisor")
    crash = ChildSpec("crash", (sys.executable, "-c", "print('no database configured'); raise SystemExit(3)"),
                      dict(os.environ), tmp_path / "crash.log")
    supervisor = running([crash], backoff=FAST)
    assert supervisor.wait_for(lambda status: status["crash"].restarts >= 3, 30)
    exits = [r.getMessage() for r in caplog.records if "exited" in r.getMessage()]
    assert "crash exited with status 3" in exits[0]
    assert "its last log line: no database configured" in exits[0]
    assert "restart 3" in exits[2]


def test_the_demo_is_seeded_once_and_a_later_run_leaves_the_supervisors_changes(settings):
    migrate.upgrade(settings.sqlalchemy_url, "head")
    seeded = seed_demo(settings)
    assert f"{DEMO_CAMPAIGN!r} created on node {NODE!r}" in seeded[0]
    assert f"{FS_DEMO_CAMPAIGN!r} created on node {FS_NODE!r}" in seeded[1]
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine).begin() as s:
        campaigns = {c.name: c for c in s.scalars(select(m.Campaign))}
        assert sorted(campaigns) == sorted([DEMO_CAMPAIGN, FS_DEMO_CAMPAIGN])
        assert all(c.desired_state is CampaignState.RUNNING for c in campaigns.values())
        logins = s.scalars(select(m.DeskRequest).where(m.DeskRequest.kind == "agent_login")).all()
        nodes = {n.name: n for n in s.scalars(select(m.PbxNode))}
        assert nodes[FS_NODE].kind is PbxKind.FREESWITCH
        for name, node, phones in ((DEMO_CAMPAIGN, NODE, phone_credentials),
                                   (FS_DEMO_CAMPAIGN, FS_NODE, fs_phone_credentials)):
            mine = [c for c in logins if c.campaign_id == campaigns[name].id]
            assert len(mine) == DEMO_AGENTS
            assert {c.node_id for c in mine} == {nodes[node].id}
            seats = s.scalars(select(m.Seat.extension).where(m.Seat.node_id == nodes[node].id)).all()
            assert sorted(seats) == [p.extension for p in phones(settings)]  # every sandbox phone of the node
        # Each node's hotline: the phone after the demo agents' is its seat, logged in for the queue only;
        # the last two demo agents are its overflow.
        routes = {r.did: r for r in s.scalars(select(m.InboundRoute))}
        assert sorted(routes) == ["14005550410", "14005550411"]
        for did, node, line in (("14005550410", NODE, seeded[0]), ("14005550411", FS_NODE, seeded[1])):
            seat, *_ = s.scalars(select(m.Agent).where(m.Agent.id.in_(routes[did].hotline_agent_ids))).all()
            assert seat.seat.extension.endswith("agent005")
            assert seat.seat.node_id == nodes[node].id
            assert [c.campaign_id for c in logins if c.agent_id == seat.id] == [None]
            overflow = s.scalars(select(m.Agent).where(m.Agent.id.in_(routes[did].overflow_agent_ids))).all()
            assert sorted(a.seat.extension[-3:] for a in overflow) == ["003", "004"]
            assert f"switchboard pbx sandbox call-in {did} --node {nodes[node].kind.value}" in line
        s.delete(routes["14005550410"])  # the supervisor deletes the pbx's hotline
        zones = {lead.campaign_id: lead.timezone for lead in s.scalars(select(m.Lead).where(
            m.Lead.campaign_id.is_not(None)))}  # a bought batch's records are in no campaign until given
        assert zones == {campaigns[DEMO_CAMPAIGN].id: "America/New_York",  # 201: New Jersey
                         campaigns[FS_DEMO_CAMPAIGN].id: "America/Chicago"}  # 312: Chicago
        # Bought lead data at each stage: a sample under test, a batch handed out, one destroyed.
        assert "lead data: vendor 'Demo Data Co.'" in seeded[2]
        states = {p.batch: p.state.value for p in s.scalars(select(m.Purchase))}
        assert states == {"DEMO-SAMPLE": "sampling", "DEMO-ACCEPTED": "accepted", "DEMO-EXPIRED": "destroyed"}
        handed = s.execute(select(m.Handout.agent_id, m.Handout.records).order_by(m.Handout.id)).all()
        assert handed[0] == (None, 20)  # to the team, then 4 to each of its agents in the demo campaign
        assert sorted(n for a, n in handed[1:] if a is not None) == [4] * DEMO_AGENTS
        assert [c.facts["reason"] for c in s.scalars(select(m.DestructionCertificate))] == ["expired"]
        owned = s.scalar(select(func.count()).select_from(m.Lead).join(m.LeadList).where(
            m.LeadList.agent_id.is_not(None), m.Lead.campaign_id == campaigns[DEMO_CAMPAIGN].id))
        assert owned == 4 * DEMO_AGENTS
        campaign = campaigns[DEMO_CAMPAIGN]
        campaign.desired_state = CampaignState.PAUSED  # the supervisor stops the demo ...
        s.execute(update(m.DeskRequest).values(status=DeskRequestStatus.DONE))
        seats = {seat.extension: seat for seat in s.scalars(select(m.Seat))}
        first = s.scalars(select(m.Agent).join(m.Agent.user).where(m.User.username == "agent001")).one()
        first.seat_id = seats["agent006"].id  # ... and moves an agent

    assert seeded[3] == "knowledge base: 4 articles"
    assert seeded[4] == "complaints: 1, answered, for Demo team (pbx)"
    with session_factory(engine)() as s:
        (ticket,) = s.scalars(select(m.Ticket)).all()
        assert ticket.state is TicketState.ANSWERED
        assert s.get(m.Team, ticket.team_id).name == "Demo team (pbx)"
        assert ticket.phone.startswith("+1201")  # a customer of the Asterisk site's campaign
    again = seed_demo(settings)  # switchboard run again
    assert again[3] == "knowledge base left as it was"
    assert again[4] == "complaints left as they were"
    assert "is paused, left as it was" in again[0]
    assert "hotline" not in again[0]
    assert "lead data: seeded before, left as it is" in again[2]
    assert "is running, left as it was" in again[1]
    with session_factory(engine)() as s:
        assert s.scalars(select(m.Campaign).where(m.Campaign.name == DEMO_CAMPAIGN)).one().desired_state is (
            CampaignState.PAUSED)
        assert s.scalar(select(func.count()).select_from(m.DeskRequest).where(
            m.DeskRequest.status == DeskRequestStatus.PENDING)) == 0
        moved = s.scalars(select(m.Agent).join(m.Agent.user).where(m.User.username == "agent001")).one()
        assert moved.seat.extension == "agent006"
        assert [r.did for r in s.scalars(select(m.InboundRoute))] == ["14005550411"]  # not seeded again
    engine.dispose()


def test_a_second_agent_is_refused_a_busy_seat_by_the_panel_and_by_the_runner(app, as_role):
    with app.app_context(), sessions().begin() as s:
        me = web_seed.agent(s)
        campaign = web_seed.campaign(s, "Outbound")
        campaign.desired_state = CampaignState.RUNNING
        seat = s.scalars(select(m.Seat)).one()
        other = m.Agent(user=m.User(username="other", password_hash="x", role=UserRole.AGENT), seat=seat)
        s.add(other)
        s.flush()
        s.add(m.DeskRequest(kind="agent_login", node_id=seat.node_id, agent_id=other.id,
                            campaign_id=campaign.id))
        ids = (me.id, seat.id, seat.node_id, campaign.id)
    my_id, seat_id, node_id, campaign_id = ids

    panel = as_role("agent1")
    panel.get("/agent/")
    page = panel.post("/agent/login", {"seat_id": str(seat_id), "campaign_id": str(campaign_id)},
                      follow_redirects=True)
    assert b"disabled or taken" in page.data  # the other agent's login is on its way to the runner

    with app.app_context(), sessions().begin() as s:  # it arrived: the other agent is ready there
        s.scalars(select(m.Agent).join(m.Agent.user).where(m.User.username == "other")).one().state = (
            AgentState.READY)
        s.get(m.Agent, my_id).seat_id = seat_id  # as an older panel or a seeding script would do
        command = m.DeskRequest(kind="agent_login", node_id=node_id, agent_id=my_id, campaign_id=campaign_id)
        s.add(command)
        s.flush()
        with pytest.raises(Refused, match="in use by another agent"):
            translate(s, command, node_id, time.time())


def test_a_child_that_cannot_be_started_is_tried_again_and_the_others_run(tmp_path, running, caplog):
    caplog.set_level(logging.INFO, logger="switchboard.supervisor")
    missing = ChildSpec("missing", (str(tmp_path / "no-such-program"),), dict(os.environ), tmp_path / "m.log")
    sleeper = ChildSpec("sleeper", (sys.executable, "-c", "import time; time.sleep(600)"), dict(os.environ),
                        tmp_path / "s.log")
    supervisor = running([missing, sleeper], backoff=FAST)
    assert supervisor.wait_for(lambda status: status["sleeper"].pid is not None, 30)
    assert supervisor.status()["missing"].pid is None
    assert any("missing could not be started" in r.getMessage() for r in caplog.records)


def test_each_runner_sends_faxes_from_the_directory_its_pbx_reads(tmp_path):
    """The demo's faxes failed (FILE_ERROR) while the runners wrote their TIFFs to the default spool."""
    settings = replace(Settings(instance_dir=tmp_path), sandbox_state=tmp_path / "state")
    env = {spec.name: spec.env for spec in box_children(settings, None)}
    assert env["runner"]["SWITCHBOARD_FAX_DIR"] == str(paths(settings).fax_dir)
    assert env["runner"]["SWITCHBOARD_FAX_DIR_IN_PBX"] == paths(settings).fax_dir_in_pbx
    fs = fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))
    assert env["runner-freeswitch"]["SWITCHBOARD_FAX_DIR"] == str(fsrender.fax_dir(fs))
