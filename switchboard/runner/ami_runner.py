"""The AMI runner's main loop: one asyncio process per Asterisk node.

Inputs, all handed to every campaign dialer of the node (each ignores what is
not its own), one at a time:

* AMI events (``ami.connection.AmiClient.events``);
* a ``Tick`` every ``tick_s`` and no later than the dialers' next deadline;
* desk commands from the database queue (``commands_in``), polled;
* campaign state (``campaigns.desired_state``), polled: running campaigns get
  a dialer; paused ones stop claiming leads; stopped ones also log their agents
  out and are dropped once their last call ended.

For each input: every dialer's ``handle`` first (claims are their own short
transactions), then all facts in ONE transaction, then the commands are
queued for sending. Two senders keep order within their queue: originates go
through a node-wide rate limit (the node sustains ~20 originates/s with AMD;
Asterisk locked up at 100/s), everything else (bridge, hangup, redirect,
recording) goes out at once so a hand-off is never stuck behind a dialing
burst.

A failed command: ``AmiActionFailed`` on an originate becomes an
``OriginateFailed`` event (Asterisk refused it: no channel will ever report);
a command that could not be sent or whose reply was lost is left to the
reconnect: the core reconciles with the live channels on ``PbxConnected``.

Start-up: leads claimed but never dialed are given back, open attempts are
handed to the core, and after the first ``PbxConnected`` the previous run's
nailed-up legs to this node's seats are hung up (those still in a call once
the call ends) and the logged-in agents logged in again; desk commands are
taken only from then on. One runner per node is assumed: a second runner on
the same PBX would take the first one's agent legs for a previous run's.

Predictive campaigns: the policy learns from observations derived from the
core's facts (``pacing_feed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ami.connection import AmiActionFailed, AmiClient, AmiError, Backoff
from orchestrator import commands as c
from orchestrator.compliance import AbandonCounter
from orchestrator.dialer import CampaignDialer, DialMode, OpenAttempt, routes
from orchestrator.dialer.agents import NO_PHONE
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    ChannelCreated,
    Event,
    HungUp,
    OriginateFailed,
    PbxConnected,
    Tick,
)
from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.predictive import PredictivePolicy
from orchestrator.store import compliance
from orchestrator.store import models as m
from orchestrator.store.enums import CampaignMode, CampaignState
from orchestrator.store.types import utcnow
from switchboard.runner import install, recovery
from switchboard.runner.campaign_config import campaign_config
from switchboard.runner.commands_in import take_inputs
from switchboard.runner.leads_port import DbDnc, DbLeadSource
from switchboard.runner.pacing_feed import PacingFeed
from switchboard.runner.persist import FactWriter

log = logging.getLogger("switchboard.runner")

OUTBOUND_MODES = (CampaignMode.PREVIEW, CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE)


@dataclass(frozen=True)
class NodeInfo:
    id: int
    name: str
    host: str
    port: int
    username: str
    secret: str = field(repr=False)


class UnknownNode(LookupError):
    pass


def load_node(session: Session, name: str) -> NodeInfo:
    node = session.scalar(select(m.PbxNode).where(m.PbxNode.name == name))
    if node is None or not node.enabled:
        raise UnknownNode(f"no enabled PBX node named {name!r} in the database")
    return NodeInfo(node.id, node.name, node.host, node.port, node.username, node.secret)


def predictive_policy(campaign: m.Campaign) -> PacingPolicy:
    """The pacing issue's policy (expected availability, learned online, abandon-rate feedback)."""
    return PredictivePolicy()


@dataclass
class RunnerOptions:
    tick_s: float = 0.2
    poll_s: float = 0.25  # command queue
    state_poll_s: float = 1.0  # campaign states
    phone_retry_s: float = 2.0  # after a (re)connect, re-nail agent legs that failed ...
    phone_grace_s: float = 60.0  # ... for this long
    sweep_s: float = 5.0  # a previous run's agent legs that were in a call at start-up
    restore_counts_s: float = 30.0  # the campaign's abandon counts over all nodes
    originates_per_s: float = 20.0  # node-wide
    dialplan_dir: Path | None = None  # render + reload the dialplan here on first connect
    policy_for: Callable[[m.Campaign], PacingPolicy] = predictive_policy
    backoff: Backoff | None = None
    #: Applied to every campaign's CampaignConfig (tests shorten timers with it).
    config_overrides: dict[str, object] = field(default_factory=dict)


@dataclass
class Slot:
    """One campaign's dialer on this node and what the runner needs to steer it."""

    dialer: CampaignDialer
    leads: DbLeadSource
    state: CampaignState
    pacing: PacingFeed | None = None  # predictive: what the policy learns from

    @property
    def campaign_id(self) -> int:
        return self.dialer.config.campaign_id

    def idle(self) -> bool:
        return not self.dialer.attempts() and not self.dialer.agents.agents


class RateLimit:
    """Token bucket: at most ``rate`` per second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens, self._at = burst, clock()

    async def take(self) -> None:
        while True:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1 - 1e-9:  # float rounding must not leave us sleeping for ever
                self._tokens = max(0.0, self._tokens - 1)
                return
            await self._sleep((1 - self._tokens) / self.rate)


def _seat_of(channel_name: str) -> str:
    """``PJSIP/agent001-0000002a`` -> ``agent001``."""
    return channel_name.partition("/")[2].rpartition("-")[0]


class AmiRunner:
    def __init__(self, sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                 *, claimed_by: str | None = None) -> None:
        self.sessions = sessions
        self.node = node
        self.options = options or RunnerOptions()
        self.claimed_by = claimed_by or f"runner:{node.name}"
        self.writer = FactWriter(node.id)
        self.slots: dict[int, Slot] = {}
        self.client: AmiClient | None = None
        self._originates: asyncio.Queue[c.Command] = asyncio.Queue()
        self._others: asyncio.Queue[c.Command] = asyncio.Queue()
        self._relogin: list[recovery.LoggedIn] = []
        self._seats: set[str] = set()  # this node's seat extensions
        self._stale: set[str] = set()  # a previous run's agent legs still in a call
        self._connected_at = 0.0  # monotonic time of the last PbxConnected
        self._created: set[str] = set()  # channels created and not hung up yet
        self._started = False  # first PbxConnected handled

    # --- the one place inputs go through ---

    def feed(self, event: Event) -> None:
        steps = [(slot, slot.dialer.handle(event)) for slot in list(self.slots.values())]
        for slot, step in steps:
            if slot.pacing is not None:
                slot.pacing.feed(step.facts)
        if log.isEnabledFor(logging.DEBUG):
            if not isinstance(event, Tick):
                log.debug("event %r", event)
            for slot, step in steps:
                for item in (*step.facts, *step.commands):
                    log.debug("campaign=%s %r", slot.campaign_id, item)
        if any(step.facts for _, step in steps):
            with self.sessions.begin() as session:
                for slot, step in steps:
                    self.writer.write(session, slot.campaign_id, step.facts)
        for _, step in steps:
            for command in step.commands:
                (self._originates if isinstance(command, c.Originate) else self._others).put_nowait(command)

    # --- campaigns ---

    def _new_slot(self, campaign: m.Campaign, open_attempts: Iterable[OpenAttempt], session: Session) -> Slot:
        config = campaign_config(campaign, **self.options.config_overrides)
        leads = DbLeadSource(self.sessions, campaign.id, self.claimed_by)
        counter = AbandonCounter(config.compliance, config.amd_false_positive_rate)
        counter.restore(compliance.campaign_buckets(session, campaign.id, utcnow()))
        policy = self.options.policy_for(campaign) if config.mode is DialMode.PREDICTIVE else None
        dialer = CampaignDialer(config, leads, DbDnc(self.sessions, campaign.id), policy=policy,
                                counter=counter, open_attempts=list(open_attempts))
        log.info("campaign loaded campaign=%s mode=%s state=%s open_attempts=%d policy=%s", campaign.id,
                 config.mode.value, campaign.desired_state.value, len(dialer.attempts()),
                 getattr(policy, "name", "-"))
        pacing = PacingFeed(policy, config.uses_amd) if policy is not None else None
        return Slot(dialer, leads, campaign.desired_state, pacing)

    def recover(self) -> None:
        """Read back what a previous run left (see ``recovery``) and build the dialers."""
        with self.sessions.begin() as session:
            released = recovery.release_undialed(session, self.claimed_by)
        with self.sessions() as session:
            opened = recovery.open_attempts_by_campaign(session, self.node.id)
            self._relogin = recovery.logged_in_agents(session, self.node.id)
            self._seats = set(session.scalars(select(m.Seat.extension).where(m.Seat.node_id == self.node.id)))
            wanted = set(opened) | set(session.scalars(select(m.Campaign.id).where(
                m.Campaign.desired_state == CampaignState.RUNNING, m.Campaign.mode.in_(OUTBOUND_MODES))))
            for campaign in session.scalars(select(m.Campaign).where(m.Campaign.id.in_(wanted))):
                slot = self._new_slot(campaign, opened.get(campaign.id, ()), session)
                slot.leads.enabled = campaign.desired_state is CampaignState.RUNNING
                self.slots[campaign.id] = slot
        log.info("recovered node=%s released_claims=%d open_attempts=%d agents_to_relogin=%d", self.node.name,
                 released, sum(len(v) for v in opened.values()), len(self._relogin))

    def sync_campaigns(self, restore_counts: bool = False) -> None:
        with self.sessions() as session:
            rows = {c.id: c for c in session.scalars(select(m.Campaign).where(
                m.Campaign.mode.in_(OUTBOUND_MODES),
                (m.Campaign.desired_state == CampaignState.RUNNING) | m.Campaign.id.in_(list(self.slots))))}
            for campaign in rows.values():
                if campaign.id not in self.slots and campaign.desired_state is CampaignState.RUNNING:
                    self.slots[campaign.id] = self._new_slot(campaign, (), session)
            for campaign_id, slot in list(self.slots.items()):
                row = rows.get(campaign_id)
                state = row.desired_state if row is not None else CampaignState.STOPPED
                if state is not slot.state:
                    log.info("campaign state campaign=%s %s -> %s", campaign_id, slot.state.value,
                             state.value)
                    slot.state = state
                slot.leads.enabled = state is CampaignState.RUNNING
                if restore_counts and row is not None:
                    slot.dialer.counter.restore(compliance.campaign_buckets(session, campaign_id, utcnow()))
        for campaign_id, slot in list(self.slots.items()):
            if slot.state is CampaignState.STOPPED:
                for agent_id in list(slot.dialer.agents.agents):
                    self.feed(AgentStateChanged(time.time(), agent_id, AgentState.LOGGED_OUT,
                                                "campaign stopped"))
                if slot.idle():
                    del self.slots[campaign_id]
                    log.info("campaign unloaded campaign=%s", campaign_id)

    def poll_commands(self) -> int:
        """Take the node's pending desk commands and feed them to the dialers; return how many."""
        with self.sessions.begin() as session:
            taken = take_inputs(session, self.node.id, time.time(), taken_by=self.claimed_by)
        for item in taken:
            if isinstance(item.event, AgentLogin) and item.event.campaign_id not in self.slots:
                log.warning("agent login for a campaign not running here agent=%s campaign=%s",
                            item.event.agent_id, item.event.campaign_id)
            self.feed(item.event)
        return len(taken)

    def retry_phones(self, now: float) -> None:
        """Shortly after a (re)connect, agents whose nailed-up leg failed get another one.

        A restarted PBX accepts AMI before the phones have registered again, so the
        first legs fail; the core then pauses the agent ("phone disconnected") and
        waits for a ready request, which the runner makes for them during the grace.
        """
        if not self._started or now - self._connected_at > self.options.phone_grace_s:
            return
        for slot in list(self.slots.values()):
            for agent in list(slot.dialer.agents.agents.values()):
                if agent.state is AgentState.PAUSED and agent.reason == NO_PHONE:
                    self.feed(AgentStateChanged(time.time(), agent.agent_id, AgentState.READY))

    # --- start-up after the first connect ---

    async def _on_first_connect(self, event: PbxConnected) -> None:
        assert self.client is not None
        await self.sweep_agent_legs(first=True)
        self.feed(event)
        for agent in self._relogin:
            if agent.campaign_id in self.slots:
                self.feed(AgentLogin(time.time(), agent.campaign_id, agent.agent_id, agent.seat))
        self._relogin = []

    async def sweep_agent_legs(self, *, first: bool = False) -> None:
        """Hang up a previous run's nailed-up legs, at once or (if still in a call) once it ends.

        On the first connect every ``sb-agent-hold`` leg to one of this node's seats that no
        dialer owns is a previous run's (one runner per node); later sweeps only look at those.
        """
        assert self.client is not None
        listing = await self.client.query({"Action": "CoreShowChannels"}, listing=True)
        # Owned legs are read after the listing: a leg nailed up while it was on its way is ours.
        owned = {a.leg for slot in self.slots.values() for a in slot.dialer.agents.agents.values() if a.leg}
        listed = set()
        for msg in listing if isinstance(listing, list) else []:
            channel = msg.get("Uniqueid", "")
            if msg.get("Event") != "CoreShowChannel" or msg.get("Context") != routes.AGENT_HOLD:
                continue
            listed.add(channel)
            if not channel or channel in owned:
                continue
            if first and _seat_of(msg.get("Channel", "")) in self._seats:
                self._stale.add(channel)
            if channel not in self._stale or msg.get("BridgeId"):
                continue
            self._stale.discard(channel)
            log.info("hanging up a previous run's agent leg channel=%s", channel)
            with contextlib.suppress(AmiError):
                await self.client.execute(c.Hangup(channel))
        self._stale &= listed

    # --- tasks ---

    async def _events(self) -> None:
        assert self.client is not None
        async for event in self.client.events():
            if isinstance(event, PbxConnected):
                self._connected_at = time.monotonic()
                log.info("pbx connected node=%s live=%d uncertain=%d", self.node.name,
                         len(event.live_channel_ids), len(event.uncertain_channel_ids))
                if not self._started:
                    if self.options.dialplan_dir is not None:
                        await install.install(self.client, self.options.dialplan_dir)
                    await self._on_first_connect(event)
                    self._started = True
                    continue
            if self._premature_failure(event):
                continue
            self.feed(event)

    def _premature_failure(self, event: Event) -> bool:
        """An ``OriginateFailed`` without a cause for a channel that exists and has not hung up.

        Asterisk may send the ``OriginateResponse`` (Reason 0 for busy and congestion alike)
        before the channel's ``DialEnd``/``Hangup``, whose exact cause then never reaches the
        core (a busy line would read as FAILED). That channel's ``HungUp`` follows with the
        cause, so the runner holds such a failure back and lets the hangup end the call.
        """
        match event:
            case ChannelCreated():
                self._created.add(event.channel_id)
            case HungUp():
                self._created.discard(event.channel_id)
            case PbxConnected():
                self._created &= event.live_channel_ids
            case OriginateFailed(cause=0) if event.channel_id in self._created:
                return True
        return False

    async def _ticker(self) -> None:
        while True:
            now = time.time()
            wakeups = [w for s in self.slots.values() if (w := s.dialer.next_wakeup()) is not None]
            delay = min([self.options.tick_s, *(w - now for w in wakeups)])
            await asyncio.sleep(max(0.01, delay))
            self.feed(Tick(time.time()))

    async def _poller(self) -> None:
        last_state = last_restore = last_sweep = last_phones = time.monotonic()
        while True:
            await asyncio.sleep(self.options.poll_s)
            if self._started:  # agents log in after the old legs are swept
                self.poll_commands()
            now = time.monotonic()
            if now - last_state >= self.options.state_poll_s:
                restore = now - last_restore >= self.options.restore_counts_s
                self.sync_campaigns(restore_counts=restore)
                last_state, last_restore = now, now if restore else last_restore
            if now - last_phones >= self.options.phone_retry_s:
                last_phones = now
                self.retry_phones(now)
            if self._stale and now - last_sweep >= self.options.sweep_s:
                last_sweep = now
                with contextlib.suppress(AmiError, TimeoutError):
                    await self.sweep_agent_legs()

    async def _sender(self, queue: asyncio.Queue[c.Command], limit: RateLimit | None) -> None:
        assert self.client is not None
        while True:
            command = await queue.get()
            if limit is not None:
                await limit.take()
            try:
                await self.client.execute(command)
            except AmiActionFailed as exc:
                log.warning("command refused kind=%s error=%s", type(command).__name__, exc.message)
                if isinstance(command, c.Originate):
                    self.feed(OriginateFailed(time.time(), command.channel_id, command.attempt_id,
                                              cause=0, reason=exc.message))
            except AmiError as exc:  # not sent, or fate unknown: the next PbxConnected reconciles
                log.warning("command not confirmed kind=%s error=%s", type(command).__name__, exc)

    # --- lifecycle ---

    async def run(self, stop: asyncio.Event) -> None:
        self.recover()
        n = self.node
        async with AmiClient(n.host, n.port, n.username, n.secret, node=n.name,
                             backoff=self.options.backoff) as client:
            self.client = client
            rate = self.options.originates_per_s
            tasks = [asyncio.create_task(coro, name=name) for name, coro in (
                ("events", self._events()), ("ticker", self._ticker()), ("poller", self._poller()),
                ("originates", self._sender(self._originates, RateLimit(rate, max(1.0, rate / 4)))),
                ("commands", self._sender(self._others, None)))]
            stopper = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in [*tasks, stopper]:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        log.info("runner stopped node=%s", n.name)


def run_forever(sessions: sessionmaker[Session], node_name: str,
                options: RunnerOptions | None = None) -> None:
    """The ``switchboard runner`` body: run until SIGTERM/SIGINT."""
    with sessions() as session:
        node = load_node(session, node_name)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await AmiRunner(sessions, node, options).run(stop)

    asyncio.run(main())

