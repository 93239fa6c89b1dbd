"""Live monitoring on each PBX of the sandbox: listen, whisper and barge, heard (or not) on each leg.

A real runner bridges a world customer to an agent's phone (``agent007`` / ``fsagent007``); the team
leader asks on the real wallboard (the Flask app on the kit's database) to monitor the agent, and
the runner calls their phone, another world phone (``agent008`` / ``fsagent008``). Every world phone
and the customer keep talking (a looping prompt), so what each party *hears* is measured on the
world's side of its line: a MixMonitor ``r()`` file of the world channel is the audio the PBX sends
to that phone. Who talks is chosen with the world's ``MuteAudio`` (its outgoing stream), one
talker at a time, for a few seconds each:

* only the team leader talks: the agent hears them in whisper and barge, the customer in barge only;
* only the agent talks, then only the customer: the team leader hears each, in every mode.

Then the customer hangs up while a session runs: the runner hangs up the team leader's phone (the
agent's leg is held open after the call, so the PBX alone would keep them listening to nothing).
Every session is in ``monitor_sessions`` with its start, end and outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from ami.session import run_actions
from lab import demo
from lab.sandbox import process
from lab.sandbox.credentials import fs_phone_credentials, phone_credentials
from lab.sandbox.layout import nodes
from lab.sandbox.world import Outcome as World
from orchestrator.monitor import MonitorMode
from store import models as m
from store.enums import CampaignMode, PbxKind, UserRole
from tests.integration.campaign_kit import (
    BOTH_PBXES,
    Kit,
    kit_on,
    mixed_leads,
    web_client,
    world_heard,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

AGENT_PHONE, LEADER_PHONE = 6, 7  # agent007 and agent008 (fsagent007/008 on FreeSWITCH)
WINDOW_S = 2.0  # one talker's stretch
SETTLE_S = 0.5  # after a change of talker: the audio already on its way (jitter buffers) passes first
#: RMS amplitude (sox, full scale 1) of what a phone hears: a looping prompt is far above HEARD, a
#: muted stream is digital silence, far below SILENT.
HEARD, SILENT = 0.01, 0.002


@dataclass
class WorldSide:
    """The world's side of the three lines: its channel names, found by the extension they rang."""

    kit: Kit
    number: str  # the customer's

    def __post_init__(self) -> None:
        self.node = nodes(self.kit.sandbox.settings)["world"]
        self.target = self.kit.sandbox.world
        self.home: dict[str, tuple[str, str, str]] = {}  # channel -> where its prompt loops

    def channels(self) -> list[list[str]]:
        out = process.cli(self.node, "core show channels concise")
        return [line.split("!") for line in out.splitlines() if "!" in line]

    def phone(self, index: int) -> str:
        """The world channel of phone ``agentNNN`` (the FreeSWITCH node's ``fsagentNNN`` lands there too)."""
        exten = f"agent{index + 1:03d}"
        found = [c[0] for c in self.channels() if c[1] == "world-in" and c[2] == exten]
        assert len(found) == 1, (exten, self.channels())
        self.home[found[0]] = ("world-in", exten, "talk")
        return found[0]

    def customer(self) -> str:
        for c in self.channels():
            if c[1] == "world-outcome" and self.var(c[0], "dialed") in (self.number, self.number.lstrip("+")):
                self.home[c[0]] = ("world-outcome", "human", "talk")
                return c[0]
        raise AssertionError(f"no world channel for {self.number}: {self.channels()}")

    def var(self, channel: str, name: str) -> str:
        (reply,) = run_actions(self.target, [{"Action": "Getvar", "Channel": channel, "Variable": name}])
        return str(reply.get("Value") or "")

    def talk(self, channel: str, on: bool) -> None:
        """Back to the line's looping prompt, or to a loop of silence (``world-outcome`` machine's
        listening): a muted stream (``MuteAudio``) would send no RTP at all, and an Asterisk bridge
        or spy passes on audio only as frames arrive."""
        where = self.home[channel] if on else ("world-outcome", "machine", "listen")
        run_actions(
            self.target,
            [
                {
                    "Action": "Redirect",
                    "Channel": channel,
                    "Context": where[0],
                    "Exten": where[1],
                    "Priority": where[2],
                }
            ],
        )

    def heard(self, channels: dict[str, str], tmp: Path) -> dict[str, float]:
        """RMS of what each of ``channels`` (name -> world channel) hears for WINDOW_S seconds."""
        time.sleep(SETTLE_S)  # not a wait for an event: what was said before the change is not measured
        return world_heard(self.kit, channels, WINDOW_S)

    def hang_up(self, channel: str) -> None:
        run_actions(self.target, [{"Action": "Hangup", "Channel": channel}])

    def hang_up_all(self, phones: tuple[int, ...]) -> None:
        """The test's calls on the world, whatever state a failure left them in."""
        extens = {f"agent{i + 1:03d}" for i in phones}
        for c in self.channels():
            if (
                c[0] in self.home
                or (c[1] == "world-in" and c[2] in extens)
                or (c[1] == "world-outcome" and self.var(c[0], "dialed") == self.number.lstrip("+"))
            ):
                self.hang_up(c[0])


def _floor(kit: Kit, kind: PbxKind) -> tuple[int, int]:
    """The agent and the team leader's phone (a seat of the agent's team): (agent id, seat id)."""
    (agent_id,) = kit.agents(1, first=AGENT_PHONE)
    phones = fs_phone_credentials if kind is PbxKind.FREESWITCH else phone_credentials
    phone = phones(kit.sandbox.settings)[LEADER_PHONE]
    with kit.sessions.begin() as s:
        team = m.Team(name="Team live")
        s.add(team)
        (seat,) = demo.ensure_seats(
            s, kit.sealer, s.get(m.PbxNode, kit.node_id), [(phone.extension, phone.secret)]
        )
        seat.team = team
        s.get(m.Agent, agent_id).team = team
        s.flush()
        return agent_id, seat.id


def _wait_session(kit: Kit, runner, session_id: int, field: str) -> m.MonitorSession:
    kit.wait_for(
        f"monitor session {session_id} {field}",
        lambda s: getattr(s.get(m.MonitorSession, session_id), field) is not None,
        runner,
        timeout=30,
    )
    with kit.sessions() as s:
        return s.get(m.MonitorSession, session_id)


def _monitor(web, kit: Kit, agent_id: int, seat_id: int, mode: MonitorMode) -> int:
    response = web.post(
        "/wallboard/monitor", {"agent_id": str(agent_id), "mode": mode.value, "seat_id": str(seat_id)}
    )
    assert response.status_code == 302
    with kit.sessions() as s:
        return s.scalar(select(m.MonitorSession.id).order_by(m.MonitorSession.id.desc()).limit(1))


@BOTH_PBXES
def test_listen_whisper_and_barge_are_heard_by_whom_they_should(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    agent_id, seat_id = _floor(kit, kind)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=900, talk={World.HUMAN: (0,)})  # talks until hung up
    (number,) = leads
    campaign = kit.campaign("monitored", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    web = web_client(kit, tmp_path, UserRole.TEAM_LEADER)
    with kit.sessions.begin() as s:
        s.scalars(select(m.Team)).one().leader_id = s.scalar(
            select(m.User.id).where(m.User.role == UserRole.TEAM_LEADER)
        )
    world = WorldSide(kit, number)
    energy: dict[str, dict[str, float]] = {}
    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("the customer bridged to the agent", kit.bridged(campaign), runner)
        agent, customer = world.phone(AGENT_PHONE), world.customer()
        for mode in MonitorMode:
            session_id = _monitor(web, kit, agent_id, seat_id, mode)
            _wait_session(kit, runner, session_id, "started_at")
            leader = world.phone(LEADER_PHONE)
            for channel, on in ((agent, False), (customer, False), (leader, True)):
                world.talk(channel, on)
            sup = world.heard({"agent": agent, "customer": customer}, tmp_path)
            world.talk(leader, False)
            world.talk(agent, True)
            from_agent = world.heard({"leader": leader}, tmp_path)["leader"]
            world.talk(agent, False)
            world.talk(customer, True)
            from_customer = world.heard({"leader": leader}, tmp_path)["leader"]
            world.talk(agent, True)
            energy[mode.value] = {
                "agent_hears_leader": sup["agent"],
                "customer_hears_leader": sup["customer"],
                "leader_hears_agent": from_agent,
                "leader_hears_customer": from_customer,
            }
            print(f"monitor energy {kind} {mode.value}:", energy[mode.value])
            world.hang_up(leader)
            ended = _wait_session(kit, runner, session_id, "ended_at")
            assert ended.outcome == "ended"
        # The call ends while a team leader listens: the runner ends their leg too.
        last = _monitor(web, kit, agent_id, seat_id, MonitorMode.LISTEN)
        _wait_session(kit, runner, last, "started_at")
        world.hang_up(customer)
        gone = _wait_session(kit, runner, last, "ended_at")
        kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner)
        kit.stop_campaign(campaign, runner)
    finally:
        world.hang_up_all((AGENT_PHONE, LEADER_PHONE))  # the customer talks until hung up
        assert runner.stop() == 0, runner.tail()

    for mode, e in energy.items():
        assert e["leader_hears_agent"] > HEARD, (mode, e)
        assert e["leader_hears_customer"] > HEARD, (mode, e)
        agent_hears = mode in (MonitorMode.WHISPER, MonitorMode.BARGE)
        customer_hears = mode == MonitorMode.BARGE
        assert (e["agent_hears_leader"] > HEARD) if agent_hears else (e["agent_hears_leader"] < SILENT), (
            mode,
            e,
        )
        assert (
            (e["customer_hears_leader"] > HEARD) if customer_hears else (e["customer_hears_leader"] < SILENT)
        ), (mode, e)
    assert gone.outcome == "ended"
    assert not [c for c in world.channels() if c[1] == "world-in" and c[2] == f"agent{LEADER_PHONE + 1:03d}"]
    with kit.sessions() as s:
        rows = s.scalars(select(m.MonitorSession).order_by(m.MonitorSession.id)).all()
        assert [r.mode for r in rows] == [*MonitorMode, MonitorMode.LISTEN]
        (attempt,) = kit.attempts(campaign)
        for r in rows:
            assert r.started_at is not None
            assert r.ended_at is not None
            assert r.supervisor == "team_leader-live"
            assert (r.agent_id, r.seat_id, r.node_id, r.call_attempt) == (
                agent_id,
                seat_id,
                kit.node_id,
                str(attempt.id),
            )
            assert r.created_at <= r.started_at <= r.ended_at
    kit.close()
