"""What every runner does with its node, whatever the PBX and the runtime (asyncio or gevent).

A runner owns one PBX node. :class:`NodeCore` holds the runtime-neutral part:

* the campaign set, from ``campaigns.desired_state``: running campaigns get a
  dialer; paused ones stop claiming leads; stopped ones also log their agents
  out and are dropped once their last call ended;
* the one place inputs go through (:meth:`NodeCore.feed`): every dialer's
  ``handle`` first (claims are their own short transactions), then all facts in
  ONE transaction, then the commands are handed to the runtime's senders
  (:meth:`NodeCore.enqueue`, implemented by the AMI and ESL runners);
* start-up: leads claimed but never dialed are given back, open attempts are
  handed to the core (:meth:`NodeCore.recover`); after the first
  ``PbxConnected`` and the sweep of a previous run's agent legs
  (:meth:`NodeCore.stale_legs` decides, the runtime lists and hangs up) the
  logged-in agents are logged in again (:meth:`NodeCore.start`); desk commands
  are taken only from then on;
* housekeeping on a timer (:meth:`NodeCore.housekeeping`): desk commands,
  campaign states, abandon counts over all nodes, re-nailing agent legs after
  a reconnect;
* a refused originate becomes ``OriginateFailed`` (:meth:`NodeCore.refused`);
  a command not sent or whose reply was lost is left to the reconnect: the core
  reconciles with the live channels on ``PbxConnected``.

Nothing here awaits or yields: the runtimes call these methods from one task
or greenlet at a time. Database calls are synchronous and short, in both
runtimes (see ``esl_runner`` for why that is also the gevent choice).

Predictive campaigns: the policy is built from the campaign's settings
(``orchestrator.pacing.catalog.campaign_policy``) and learns inside the dialer
(``orchestrator.dialer.pacing_feed``), as in the simulator.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orchestrator import commands as c
from orchestrator.dialer import CampaignDialer, DialMode, OpenAttempt
from orchestrator.dialer.agents import NO_PHONE
from orchestrator.dialer.config import CampaignConfig
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import AgentState, AgentStateChanged, Event, OriginateFailed, PbxConnected, Tick
from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.catalog import campaign_policy
from orchestrator.store import compliance
from orchestrator.store import models as m
from orchestrator.store.enums import CampaignMode, CampaignState, PbxKind
from orchestrator.store.types import utcnow
from switchboard.runner import recovery
from switchboard.runner.campaign_config import campaign_config
from switchboard.runner.commands_in import take_inputs
from switchboard.runner.leads_port import DbDnc, DbLeadSource
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
    kind: PbxKind = PbxKind.ASTERISK


class UnknownNode(LookupError):
    pass


def load_node(session: Session, name: str) -> NodeInfo:
    node = session.scalar(select(m.PbxNode).where(m.PbxNode.name == name))
    if node is None or not node.enabled:
        raise UnknownNode(f"no enabled PBX node named {name!r} in the database")
    return NodeInfo(node.id, node.name, node.host, node.port, node.username, node.secret, node.kind)


class Backoff(Protocol):
    """The adapter's reconnect delays (``ami.connection.Backoff``, ``esl.connection.Backoff``)."""

    def delay(self, failures: int, rng: random.Random) -> float: ...


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
    dialplan_dir: Path | None = None  # Asterisk: render + reload the dialplan here on first connect
    policy_for: Callable[[CampaignConfig], PacingPolicy] = campaign_policy
    backoff: Backoff | None = None
    #: Applied to every campaign's CampaignConfig (tests shorten timers with it).
    config_overrides: dict[str, object] = field(default_factory=dict)


@dataclass
class Slot:
    """One campaign's dialer on this node and what the runner needs to steer it."""

    dialer: CampaignDialer
    leads: DbLeadSource
    state: CampaignState

    @property
    def campaign_id(self) -> int:
        return self.dialer.config.campaign_id

    def idle(self) -> bool:
        return not self.dialer.attempts() and not self.dialer.agents.agents


class RateLimit:
    """Token bucket: at most ``rate`` per second, bursts up to ``burst``.

    ``wait_s()`` takes a token and returns 0, or returns how long to sleep
    before asking again; the runtime sleeps its own way.
    """

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._tokens, self._at = burst, clock()

    def wait_s(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1 - 1e-9:  # float rounding must not leave us sleeping for ever
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return (1 - self._tokens) / self.rate


def originate_limit(options: RunnerOptions) -> RateLimit:
    return RateLimit(options.originates_per_s, max(1.0, options.originates_per_s / 4))


@dataclass(frozen=True)
class HoldLeg:
    """A nailed-up agent leg (``sb-agent-hold``) as the PBX lists it."""

    channel_id: str
    seat: str
    bridged: bool


class NodeCore:
    """The runtime-neutral runner of one node; subclasses send commands (``enqueue``) and talk to the PBX."""

    #: Asterisk's ``sb-outbound`` runs AMD() and acts on machines itself; FreeSWITCH's only parks.
    route_handles_machines = True
    #: The node's detector says HUMAN this long after the greeting ended (when its verdict doesn't say).
    amd_verdict_lag_s = 0.0

    def __init__(self, sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                 *, claimed_by: str | None = None) -> None:
        self.sessions = sessions
        self.node = node
        self.options = options or RunnerOptions()
        self.claimed_by = claimed_by or f"runner:{node.name}"
        self.writer = FactWriter(node.id)
        self.slots: dict[int, Slot] = {}
        self._relogin: list[recovery.LoggedIn] = []
        self._seats: set[str] = set()  # this node's seat extensions
        self._stale: set[str] = set()  # a previous run's agent legs still in a call
        self._connected_at = 0.0  # monotonic time of the last PbxConnected
        self._started = False  # first PbxConnected handled
        now = time.monotonic()
        self._last = {"state": now, "restore": now, "sweep": now, "phones": now}

    def enqueue(self, command: c.Command) -> None:
        """Hand a command to the runtime's senders (originates rate-limited, the rest at once)."""
        raise NotImplementedError

    # --- the one place inputs go through ---

    def feed(self, event: Event) -> None:
        steps = [(slot, slot.dialer.handle(event)) for slot in list(self.slots.values())]
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
                self.enqueue(command)

    def refused(self, command: c.Command, message: str) -> None:
        """The PBX refused ``command``: nothing happened. A refused originate creates no channel."""
        log.warning("command refused kind=%s error=%s", type(command).__name__, message)
        if isinstance(command, c.Originate):
            self.feed(OriginateFailed(time.time(), command.channel_id, command.attempt_id, cause=0,
                                      reason=message))

    # --- campaigns ---

    def _new_slot(self, campaign: m.Campaign, open_attempts: Iterable[OpenAttempt], session: Session) -> Slot:
        config = campaign_config(campaign, **{"route_handles_machines": self.route_handles_machines,
                                              "amd_verdict_lag_s": self.amd_verdict_lag_s,
                                              **self.options.config_overrides})
        leads = DbLeadSource(self.sessions, campaign.id, self.claimed_by)
        counter = config.abandon_counter()
        counter.restore(compliance.campaign_buckets(session, campaign.id, utcnow()))
        policy = self.options.policy_for(config) if config.mode is DialMode.PREDICTIVE else None
        dialer = CampaignDialer(config, leads, DbDnc(self.sessions, campaign.id), policy=policy,
                                counter=counter, open_attempts=list(open_attempts))
        log.info("campaign loaded campaign=%s mode=%s state=%s open_attempts=%d policy=%s", campaign.id,
                 config.mode.value, campaign.desired_state.value, len(dialer.attempts()),
                 getattr(policy, "name", "-"))
        return Slot(dialer, leads, campaign.desired_state)

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

        A restarted PBX accepts the manager connection before the phones have
        registered again, so the first legs fail; the core then pauses the agent
        ("phone disconnected") and waits for a ready request, which the runner
        makes for them during the grace.
        """
        if not self._started or now - self._connected_at > self.options.phone_grace_s:
            return
        for slot in list(self.slots.values()):
            for agent in list(slot.dialer.agents.agents.values()):
                if agent.state is AgentState.PAUSED and agent.reason == NO_PHONE:
                    self.feed(AgentStateChanged(time.time(), agent.agent_id, AgentState.READY))

    # --- connection and start-up ---

    @property
    def started(self) -> bool:
        return self._started

    def connected(self, event: PbxConnected) -> None:
        """Note a (re)connect; the caller feeds the event (or, the first time, calls :meth:`start`)."""
        self._connected_at = time.monotonic()
        log.info("pbx connected node=%s live=%d uncertain=%d", self.node.name,
                 len(event.live_channel_ids), len(event.uncertain_channel_ids))

    def start(self, event: PbxConnected) -> None:
        """The first ``PbxConnected``, once the previous run's agent legs were swept."""
        self.feed(event)
        for agent in self._relogin:
            if agent.campaign_id in self.slots:
                self.feed(AgentLogin(time.time(), agent.campaign_id, agent.agent_id, agent.seat))
        self._relogin = []
        self._started = True

    def stale_legs(self, listing: Iterable[HoldLeg], *, first: bool = False) -> list[str]:
        """Which listed agent legs to hang up now: a previous run's, once out of their call.

        On the first connect every hold leg to one of this node's seats that no
        dialer owns is a previous run's (one runner per node: a second runner on
        the same PBX would take the first one's legs for a previous run's);
        later sweeps only look at those. Call this after the listing arrived: a
        leg nailed up while it was on its way is owned by then.
        """
        owned = {a.leg for slot in self.slots.values() for a in slot.dialer.agents.agents.values() if a.leg}
        listed, hang_up = set(), []
        for leg in listing:
            listed.add(leg.channel_id)
            if not leg.channel_id or leg.channel_id in owned:
                continue
            if first and leg.seat in self._seats:
                self._stale.add(leg.channel_id)
            if leg.channel_id not in self._stale or leg.bridged:
                continue
            self._stale.discard(leg.channel_id)
            log.info("hanging up a previous run's agent leg channel=%s", leg.channel_id)
            hang_up.append(leg.channel_id)
        self._stale &= listed
        return hang_up

    # --- timers ---

    def tick_delay(self) -> float:
        """Seconds until the next ``Tick``: ``tick_s``, or sooner for a dialer's deadline."""
        now = time.time()
        wakeups = [w for s in self.slots.values() if (w := s.dialer.next_wakeup()) is not None]
        return max(0.01, min([self.options.tick_s, *(w - now for w in wakeups)]))

    def housekeeping(self, now: float) -> bool:
        """Every ``poll_s`` (monotonic ``now``); True when the runtime should sweep agent legs."""
        if self._started:  # agents log in after the old legs are swept
            self.poll_commands()
        last, opts = self._last, self.options
        if now - last["state"] >= opts.state_poll_s:
            restore = now - last["restore"] >= opts.restore_counts_s
            self.sync_campaigns(restore_counts=restore)
            last["state"] = now
            if restore:
                last["restore"] = now
        if now - last["phones"] >= opts.phone_retry_s:
            last["phones"] = now
            self.retry_phones(now)
        if self._stale and now - last["sweep"] >= opts.sweep_s:
            last["sweep"] = now
            return True
        return False
