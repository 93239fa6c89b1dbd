"""Running real campaigns on the sandbox: seed a database, start a runner, watch both instances.

Shared by the campaign integration tests (``tests/integration/campaign_kit.py``
adds their acceptance checks) and the live benchmark (``bench.live``). The
runner runs as a subprocess (as in production, and so it can be killed with
SIGKILL); both Asterisk instances are watched on independent AMI connections
(a thread with its own event loop), so duplicate originates and abandon
messages are seen by something other than the runner itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ami.session import AmiTarget, ami_session
from esl.framing import EslEvent
from lab import demo
from lab.sandbox import cli as sandbox_cli
from lab.sandbox import faxes as sandbox_faxes
from lab.sandbox.credentials import (
    connection_info,
    freeswitch_secrets,
    fs_phone_credentials,
    phone_credentials,
)
from lab.sandbox.layout import paths
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from lab.schema_copy import upgrade_to_head
from provisioning.freeswitch import RECORDINGS_DIR as FREESWITCH_RECORDINGS_DIR
from settings import Settings, instance_secret
from store import models as m
from store.db import make_engine, session_factory
from store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, PbxKind
from store.sealing import Sealer

NODE = "pbx"
FS_NODE = "freeswitch"  # the sandbox's FreeSWITCH node, when a Kit runs on it
WAIT_S = 240.0  # ceiling for a whole campaign; the campaigns take well under a minute


@dataclass(frozen=True)
class Sandbox:
    """AMI logins of both instances (as ``connection_info``) plus the settings they came from."""

    pbx: AmiTarget
    world: AmiTarget
    settings: Settings


def sandbox_up(settings: Settings, kind: str = "asterisk") -> Sandbox:
    """The sandbox running (``switchboard pbx sandbox up [--kind]``; a no-op when it already is):
    ``freeswitch`` brings up the FreeSWITCH node and the world it dials."""
    sandbox_cli.up(settings, kind)
    info = connection_info(settings)
    return Sandbox(info.pbx, info.world, settings)


def mixed_leads(counts: dict[World, int], first_serial: int,
                talk: dict[World, Sequence[int]] | None = None) -> dict[str, World]:
    """Numbers with the given outcome counts. Humans hang up 4-6 s after answering: AMD takes ~2 s,
    so they talk 2-4 s with the agent; machines stay on 10 s (the route hangs up on them first);
    no-answers ring 3 s; busy / unallocated ring 1 s.

    The area code is drawn at random (any valid one), so a run's numbers are its own: the world's
    call count per number must not include another run's calls on the same shared sandbox.
    ``talk`` overrides those seconds per outcome (the benchmark keeps calls up longer)."""
    talk = talk or {
        World.HUMAN: (4, 5, 6),
        World.MACHINE: (10,),
        World.NO_ANSWER: (3,),
        World.BUSY: (1,),
        World.CONGESTION: (1,),
        World.UNALLOCATED: (1,),
    }
    area = random_area_code()
    out, serial = {}, first_serial
    for outcome, n in counts.items():
        for i in range(n):
            options = talk[outcome]
            out[world_number(outcome, options[i % len(options)], serial % 1000, area_code=area)] = outcome
            serial += 1
    assert len(out) == sum(counts.values()), "over 1000 numbers of one outcome and talk time"
    return out


def random_area_code() -> str:
    rng = random.Random()
    while True:
        area = f"{rng.randint(200, 989)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(world_number(World.HUMAN, 0, 0, area_code=area))):
            return area


class AmiWatcher:
    """Every event of one Asterisk instance, collected in a background thread."""

    def __init__(self, target: AmiTarget) -> None:
        self.target = target
        self.events: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        while not self._stop.is_set():
            with contextlib.suppress(OSError, TimeoutError, ConnectionError):
                async with ami_session(self.target) as session:
                    self._ready.set()
                    while not self._stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            message = await asyncio.wait_for(session.events.get(), 0.5)
                            with self._lock:
                                self.events.append({k: str(v) for k, v in message.items()})
                        if session.closed:
                            break  # the instance restarted: log in again
            await asyncio.sleep(0.2)

    def __enter__(self) -> AmiWatcher:
        self._thread.start()
        if not self._ready.wait(15):
            raise TimeoutError(f"no AMI session to {self.target.host}:{self.target.port}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def matching(self, pred: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
        with self._lock:
            return [e for e in self.events if pred(e)]


def switchboard_exe() -> str:
    """The ``switchboard`` console script of this interpreter's environment."""
    return str(Path(sys.executable).with_name("switchboard"))


@dataclass
class RunnerProcess:
    """`switchboard runner --pbx pbx` in a subprocess, logging to a file."""

    env: dict[str, str]
    log: Path
    dialplan_dir: Path | None  # Asterisk only: FreeSWITCH fetches its routes over mod_xml_curl
    proc: subprocess.Popen | None = None
    starts: int = 0
    #: The command; ``--pbx``/``--dialplan-dir`` are appended (the benchmark runs its own entry point).
    argv: list[str] = field(default_factory=lambda: [switchboard_exe(), "runner"])
    node: str = NODE

    def start(self) -> None:
        self.starts += 1
        with open(self.log, "a") as fh:
            fh.write(f"--- start {self.starts}\n")
            self.proc = subprocess.Popen(
                [*self.argv, "--pbx", self.node,
                 *(["--dialplan-dir", str(self.dialplan_dir)] if self.dialplan_dir else [])],
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        return self.proc.returncode

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        return "".join(self.log.read_text(errors="replace").splitlines(keepends=True)[-lines:])


@dataclass
class Kit:
    """One database (SQLite file) seeded for one sandbox node (the Asterisk pbx, or the
    FreeSWITCH node with ``kind=PbxKind.FREESWITCH``) and its agents."""

    sandbox: object
    tmp: Path
    url: str = ""
    kind: PbxKind = PbxKind.ASTERISK
    sessions: sessionmaker[Session] = field(init=False)
    node_id: int = 0
    agent_ids: list[int] = field(default_factory=list)
    #: The agents' web password: made per kit, so no lab agent has one anybody could guess.
    agent_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def __post_init__(self) -> None:
        self.url = self.url or f"sqlite:///{self.tmp / 'switchboard.sqlite3'}"
        # The runner (SWITCHBOARD_INSTANCE_DIR=tmp) reads this key file; a web app on the kit's
        # database is given the same key (``secrets_key``).
        self.secrets_key = instance_secret(self.tmp, "secrets_key")
        self.sealer = Sealer(self.secrets_key)
        upgrade_to_head(self.url)
        self.engine = make_engine(self.url)
        self.sessions = session_factory(self.engine)
        if self.kind is PbxKind.FREESWITCH:
            password = freeswitch_secrets(self.sandbox.settings).esl_password
            spec = demo.NodeSpec(FS_NODE, "127.0.0.1", self.sandbox.settings.esl_port, "", password,
                                 FREESWITCH_RECORDINGS_DIR, PbxKind.FREESWITCH)
        else:
            pbx = self.sandbox.pbx
            spec = demo.NodeSpec(NODE, pbx.host, pbx.port, pbx.username, pbx.secret,
                                 str(paths(self.sandbox.settings).monitor_dir))
        with self.sessions.begin() as s:
            self.node_id = demo.ensure_node(s, self.sealer, spec).id

    def sibling(self, tmp: Path, kind: PbxKind) -> Kit:
        """Another node's kit (the sandbox's PBX of ``kind``) on this kit's database, with this kit's
        instance key (one deployment: every runner and the web unseal with one key); ``tmp`` holds
        its runners' logs."""
        tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = tmp / "secrets_key"
        key.write_text(self.secrets_key)
        key.chmod(0o600)
        return Kit(self.sandbox, tmp, url=self.url, kind=kind)

    @property
    def node_name(self) -> str:
        return FS_NODE if self.kind is PbxKind.FREESWITCH else NODE

    def agents(self, n: int, first: int = 0) -> list[int]:
        """Agents on ``n`` sandbox phones from the ``first``-th on (tests that may run at the same
        time on one sandbox use different phones: a runner sweeps legs to its node's seats)."""
        phones = (fs_phone_credentials if self.kind is PbxKind.FREESWITCH else phone_credentials)
        seats = [(p.extension, p.secret) for p in phones(self.sandbox.settings)][first:first + n]
        assert len(seats) == n, "not enough sandbox phones (setting sandbox_phones)"
        with self.sessions.begin() as s:
            node = s.get(m.PbxNode, self.node_id)
            self.agent_ids = [a.id for a in demo.ensure_agents(s, self.sealer, node, seats,
                                                                       self.agent_password)]
        return self.agent_ids

    def campaign(self, name: str, mode: CampaignMode, leads: dict[str, World], **settings: object) -> int:
        with self.sessions.begin() as s:
            campaign_id = demo.create_campaign(s, name, mode, leads, **settings).id
        self.join(campaign_id)
        return campaign_id

    def join(self, campaign_id: int) -> None:
        """Log the kit's agents in to ``campaign_id`` (made by this kit or by another node's kit on the
        same database: campaigns belong to no node, agents do)."""
        with self.sessions.begin() as s:
            agents = [s.get(m.Agent, i) for i in self.agent_ids]
            demo.log_in(s, s.get(m.PbxNode, self.node_id), s.get(m.Campaign, campaign_id), agents)

    def carrier_trunk(self, s: Session, name: str, dids: Sequence[str]) -> m.Trunk:
        """A trunk of the kit's node delivering ``dids`` from the world; not managed (the sandbox's own
        world trunk carries the calls), so saving it renders nothing."""
        trunk = m.Trunk(name=name, managed=False, dids=list(dids), nodes=[s.get(m.PbxNode, self.node_id)])
        s.add(trunk)
        s.flush()
        return trunk

    def runner(self, argv: list[str] | None = None) -> RunnerProcess:
        settings = self.sandbox.settings
        env = {
            **os.environ,
            "SWITCHBOARD_DATABASE_URL": self.url,
            "SWITCHBOARD_INSTANCE_DIR": str(self.tmp),
            "SWITCHBOARD_SANDBOX_STATE": str(settings.sandbox_state),
            "SWITCHBOARD_SANDBOX_CACHE": str(settings.sandbox_cache),
            **sandbox_faxes.runner_env(settings, self.kind),
        }
        dialplan_dir = paths(settings).pbx_config_dir if self.kind is PbxKind.ASTERISK else None
        runner = RunnerProcess(env, self.tmp / "runner.log", dialplan_dir, node=self.node_name)
        if argv is not None:
            runner.argv = argv
        return runner

    # --- waiting on the database (conditions, never fixed sleeps) ---

    def wait_for(
        self,
        what: str,
        pred: Callable[[Session], bool],
        runner: RunnerProcess | None = None,
        timeout: float = WAIT_S,
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self.sessions() as s:
                if pred(s):
                    return
            if runner is not None and not runner.alive():
                raise AssertionError(f"runner exited while waiting for {what}:\n{runner.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}" + (f":\n{runner.tail()}" if runner else "")
                )
            time.sleep(0.25)

    def bridged(self, campaign_id: int) -> Callable[[Session], bool]:
        """A customer of the campaign is talking to an agent now (a call bridged, not ended)."""

        def pred(s: Session) -> bool:
            return s.scalar(select(m.Attempt.id).where(
                m.Attempt.campaign_id == campaign_id, m.Attempt.bridged_at.is_not(None),
                m.Attempt.ended_at.is_(None))) is not None

        return pred

    def finished(self, campaign_id: int) -> Callable[[Session], bool]:
        """Every lead dialed at least once, none claimed, no attempt open."""

        def pred(s: Session) -> bool:
            undialed = s.scalar(
                select(func.count())
                .select_from(m.Lead)
                .where(
                    m.Lead.campaign_id == campaign_id,
                    (m.Lead.attempts == 0) | (m.Lead.status == LeadStatus.DIALING),
                )
            )
            open_ = s.scalar(
                select(func.count())
                .select_from(m.Attempt)
                .where(m.Attempt.campaign_id == campaign_id, m.Attempt.ended_at.is_(None))
            )
            return undialed == 0 and open_ == 0

        return pred

    def stop_campaign(self, campaign_id: int, runner: RunnerProcess) -> None:
        """Stop it as the web would: the runner logs the agents out (their legs hang up)."""
        with self.sessions.begin() as s:
            s.get(m.Campaign, campaign_id).desired_state = CampaignState.STOPPED
        self.wait_for(
            "agents logged out",
            lambda s: all(s.get(m.Agent, i).state is AgentState.LOGGED_OUT for i in self.agent_ids),
            runner,
            timeout=30,
        )

    # --- reading results ---

    def attempts(self, campaign_id: int) -> list[m.Attempt]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(m.Attempt)
                    .where(m.Attempt.campaign_id == campaign_id)
                    .order_by(m.Attempt.originated_at)
                )
            )

    def leads(self, campaign_id: int) -> dict[str, m.Lead]:
        with self.sessions() as s:
            return {
                lead.phone: lead
                for lead in s.scalars(select(m.Lead).where(m.Lead.campaign_id == campaign_id))
            }

    def recordings(self, campaign_id: int) -> dict[uuid.UUID, m.Recording]:
        with self.sessions() as s:
            rows = s.scalars(
                select(m.Recording)
                .join(m.Attempt, m.Recording.attempt_id == m.Attempt.id)
                .where(m.Attempt.campaign_id == campaign_id)
            )
            return {r.attempt_id: r for r in rows}

    def recording_file(self, path: str) -> Path:
        """MixMonitor's relative file names land in the pbx's spool/monitor directory; FreeSWITCH's
        ``uuid_record`` writes under the ESL renderer's recordings dir."""
        if self.kind is PbxKind.FREESWITCH:
            return Path(FREESWITCH_RECORDINGS_DIR) / path
        return paths(self.sandbox.settings).monitor_dir / path

    def close(self) -> None:
        self.engine.dispose()


def world_inbound(world: AmiWatcher, numbers: set[str]) -> list[dict[str, str]]:
    """The ``Newchannel`` of every call that reached the world for one of ``numbers``."""
    return world.matching(
        lambda e: (
            e.get("Event") == "Newchannel" and e.get("Context") == "world-in" and e.get("Exten") in numbers
        )
    )


def world_dials(world: AmiWatcher, numbers: set[str]) -> Counter[str]:
    """How many calls reached the world for each of ``numbers`` (its inbound channels)."""
    return Counter(e["Exten"] for e in world_inbound(world, numbers))


def overlapping(attempts: list[m.Attempt]) -> list[tuple[int, str, str]]:
    """Pairs of attempts of one lead whose calls were up at the same time."""
    by_lead: dict[int, list[m.Attempt]] = {}
    for a in attempts:
        by_lead.setdefault(a.lead_id, []).append(a)
    out = []
    for lead_id, rows in by_lead.items():
        rows.sort(key=lambda a: a.originated_at)
        for a, b in itertools.pairwise(rows):
            if a.ended_at is None or b.originated_at < a.ended_at:
                out.append((lead_id, str(a.id), str(b.id)))
    return out


def verdict_to_bridge(pbx: AmiWatcher, attempt_id: str, channel_id: str) -> float | None:
    """Seconds from the dialplan's AMD verdict to the customer entering the agent's bridge (pbx clock)."""
    verdicts = pbx.matching(
        lambda e: (
            e.get("Event") == "UserEvent"
            and e.get("UserEvent") == "SwitchboardAmd"
            and e.get("Attempt") == attempt_id
        )
    )
    bridges = pbx.matching(lambda e: e.get("Event") == "BridgeEnter" and e.get("Uniqueid") == channel_id)
    if not verdicts or not bridges:
        return None
    return float(bridges[0]["Timestamp"]) - float(verdicts[0]["Timestamp"])


def greeting_end(world: AmiWatcher, attempt: m.Attempt) -> float | None:
    """When the world customer's greeting ended (its last ``WorldGreetingEnd`` user event for the number).

    The regulators' limit (2 s) counts from the greeting's end, which only the
    world knows; it is the same Asterisk world for both PBXes, and every clock
    is this machine's.
    """
    digits = attempt.phone.lstrip("+")
    greetings = world.matching(
        lambda e: e.get("UserEvent") == "WorldGreetingEnd" and e.get("Number") == digits)
    return float(greetings[-1]["Timestamp"]) if greetings else None


def greeting_to_agent_or_message(pbx: AmiWatcher, world: AmiWatcher, attempt: m.Attempt) -> float | None:
    """Seconds from the end of the world customer's greeting to the agent's bridge or the abandon
    message, the latter as the Asterisk pbx says (the customer's ``BridgeEnter`` or the abandon route's
    ``SwitchboardAbandon`` user event)."""
    channel, attempt_id = attempt.channel_id, str(attempt.id)
    reached = pbx.matching(
        lambda e: (e.get("Event") == "BridgeEnter" and e.get("Uniqueid") == channel)
        or (e.get("UserEvent") == "SwitchboardAbandon" and e.get("Attempt") == attempt_id))
    ended = greeting_end(world, attempt)
    if ended is None or not reached:
        return None
    return float(reached[0]["Timestamp"]) - ended


# --- the same measures on a FreeSWITCH node, from its own events (``lab.esl_watcher``) ---

#: What the FreeSWITCH measures need: bridges, the route's AMD reports and abandon signals (a whole
#: campaign under ``event plain ALL`` is a flood).
FS_BENCH_EVENTS = "event plain CHANNEL_BRIDGE CUSTOM switchboard::amd switchboard::abandon"


def fs_time(event: EslEvent) -> float:
    """The event's FreeSWITCH timestamp in seconds (``Event-Date-Timestamp`` is microseconds)."""
    return int(event.get("Event-Date-Timestamp")) / 1_000_000


def fs_bridge_of(event: EslEvent, channel: str) -> bool:
    return event.name == "CHANNEL_BRIDGE" and channel in (
        event.get("Unique-ID"), event.get("Bridge-A-Unique-ID"), event.get("Bridge-B-Unique-ID"))


def fs_verdict_to_bridge(events: Sequence[EslEvent], channel: str) -> float | None:
    """Seconds from the route's last AMD report before the bridge (``switchboard::amd``: the greeting's
    cadence, from which the runner's core decides) to the customer's ``CHANNEL_BRIDGE``.

    FreeSWITCH's verdict is the core's, not a PBX event: the last report it decided on is the PBX-side
    input, so this covers what Asterisk's ``SwitchboardAmd`` -> ``BridgeEnter`` covers (the runner's
    decision, the bridge command and FreeSWITCH's bridging)."""
    bridge = next((e for e in events if fs_bridge_of(e, channel)), None)
    if bridge is None:
        return None
    bridged_at = fs_time(bridge)
    reports = [fs_time(e) for e in events if e.name == "CUSTOM" and e.subclass == "switchboard::amd"
               and e.get("Unique-ID") == channel and fs_time(e) <= bridged_at]
    return bridged_at - max(reports) if reports else None


def fs_reached(events: Sequence[EslEvent], channel: str) -> float | None:
    """When the customer reached an agent (``CHANNEL_BRIDGE``) or the abandon route
    (``switchboard::abandon``), on FreeSWITCH's clock; None if neither."""
    times = [fs_time(e) for e in events if fs_bridge_of(e, channel) or (
        e.name == "CUSTOM" and e.subclass == "switchboard::abandon" and e.get("Unique-ID") == channel)]
    return min(times, default=None)
