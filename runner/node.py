"""What every runner does with its node, whatever the PBX and the runtime (asyncio or gevent).

A runner owns one PBX node. :class:`NodeCore` holds the runtime-neutral part, the
IO shell around the node's pure core (``orchestrator.node.host.NodeHost``: the
units it hosts, the node's agent pool and the blending of agents among units):

* the campaign set, from ``campaigns.desired_state``: running campaigns get a
  dialer, hosted as a unit; paused ones stop claiming leads; stopped ones also
  log their agents out and are dropped once their last call ended;
* the one place inputs go through (:meth:`NodeCore.feed`): the host's
  ``handle`` first (every unit's step; lead claims are their own short
  transactions), then all facts in ONE transaction, then the commands are
  handed to the runtime's senders (:meth:`NodeCore.enqueue`, implemented by
  the AMI and ESL runners);
* start-up: leads claimed but never dialed are given back, open attempts are
  handed to the core (:meth:`NodeCore.recover`); after the first
  ``PbxConnected`` and the sweep of a previous run's agent legs
  (:meth:`NodeCore.stale_legs` decides, the runtime lists and hangs up) the
  logged-in agents are logged in again (:meth:`NodeCore.start`), each taking
  over their old leg if it is still up (an agent in a call keeps it and gets
  no second leg); desk commands are taken only from then on;
* our agent legs carry ``sb_agent_leg=<runner identity>-<agent id>``: a sweep
  only ever touches legs with our identity (another runner's, or another
  installation's on a shared PBX, are left alone);
* housekeeping on a timer (:meth:`NodeCore.housekeeping`): desk commands,
  campaign states, abandon counts over all nodes, re-nailing agent legs after
  a reconnect;
* the database may go away (PostgreSQL restarted, SQLite's write lock held by
  an import): every database call goes through one ``outage.DbGate``; facts
  that could not be written are kept in order and written, before any later
  ones, once it answers again; meanwhile calls in flight keep being handled
  (commands are still sent), no lead is claimed and desk commands wait;
* a node with a standby (``PbxNode.standby``, PostgreSQL): the runner acts only
  while it holds the node's lease (``runner.lease``): every claim, fact write and
  desk-command take checks its fencing token in the transaction
  (:meth:`NodeCore.fence`), every PBX command its deadline (:meth:`NodeCore.may_send`),
  and a customer's originate leaves only with its attempt stored. Without a
  standby there is no lease and nothing here stops the runner;
* a refused originate becomes ``OriginateFailed`` (:meth:`NodeCore.refused`);
  one that says nothing about the number pauses a campaign after a few in a
  row, and never counts against the lead (``config_faults``);
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

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from dialplans.render import DialplanParams
from orchestrator import commands as c
from orchestrator.backoff import Backoff
from orchestrator.dialer import CampaignConfig, CampaignDialer, DialMode, OpenAttempt, routes
from orchestrator.dialer.agents import NO_PHONE
from orchestrator.dialer.inputs import AgentLogin, TransferCall
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    CallEvent,
    Event,
    HungUp,
    OriginateFailed,
    PbxConnected,
    PbxDisconnected,
    Tick,
)
from orchestrator.inbound import ivr
from orchestrator.leads.model import Lead
from orchestrator.monitor import Monitors
from orchestrator.node.host import NodeHost
from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.catalog import campaign_policy
from orchestrator.step import Fact
from runner import recovery
from runner.campaign_config import campaign_config
from runner.commands_in import take_inputs
from runner.config_faults import FaultWatch, campaign_fault, give_back, pause, settings_error
from runner.faxes import FaxConfig, NodeFaxes
from runner.leads_port import DbDnc, DbLeadSource
from runner.lease import NodeLease, StandbySwitchedOn
from runner.outage import DB_BACKOFF, DbGate
from runner.persist import FactWriter
from runner.queues import NodeQueues
from store import compliance
from store import models as m
from store.enums import OUTBOUND_MODES, CampaignState, PbxKind
from store.sealing import Sealer
from store.types import utcnow

log = logging.getLogger("runner")



@dataclass(frozen=True)
class NodeInfo:
    id: int
    name: str
    host: str
    port: int
    username: str
    secret: str = field(repr=False)
    kind: PbxKind = PbxKind.ASTERISK
    standby: bool = False  # two runners share the node's lease (``runner.lease``)


class UnknownNode(LookupError):
    pass


def load_node(session: Session, name: str, sealer: Sealer) -> NodeInfo:
    """The node's row, its AMI/ESL secret opened (``store.sealing``): the runner logs in with it."""
    node = session.scalar(select(m.PbxNode).where(m.PbxNode.name == name))
    if node is None or not node.enabled:
        raise UnknownNode(f"no enabled PBX node named {name!r} in the database")
    secret = sealer.open(node.secret)
    return NodeInfo(node.id, node.name, node.host, node.port, node.username, secret, node.kind, node.standby)


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
    #: PBX reconnects: short, so dialing resumes within seconds of a restarted PBX (one TCP connect each).
    backoff: Backoff | None = field(default_factory=lambda: Backoff(initial=0.25, maximum=3.0))
    #: A PBX link silent this long is probed (AMI ``Ping``, ESL ``api``; FreeSWITCH's HEARTBEAT events
    #: count as traffic), then dropped and reconnected if the probe is unanswered as long again.
    liveness_s: float = 10.0
    db_backoff: Backoff = DB_BACKOFF  # database retries
    #: The node's fax lines, fax dir and trunk (``FaxConfig.from_settings``).
    fax: FaxConfig = field(default_factory=FaxConfig)
    #: Asterisk: the dialplan installed on first connect (its fax numbers from the settings).
    dialplan: DialplanParams = field(default_factory=DialplanParams)
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


#: Channel variable on our agent legs: ``<runner identity>-<agent id>`` (see ``NodeCore.leg_owner``).
AGENT_LEG_VAR = "sb_agent_leg"


@dataclass(frozen=True)
class HoldLeg:
    """A nailed-up agent leg (``sb-agent-hold``) as the PBX lists it, with its ``AGENT_LEG_VAR``."""

    channel_id: str
    seat: str
    bridged: bool
    mark: str = ""


def runner_identity(sessions: sessionmaker[Session], node_id: int) -> str:
    """Stable across restarts, distinct per database and node: whose agent legs are whose.

    The database's name, not the route to it: a node's active and standby runners reach the same
    database through different hosts or ports (a proxy, a pooler) and must own the same legs.
    """
    bind = sessions.kw.get("bind")
    url = bind.url.set(host=None, port=None).render_as_string(hide_password=True) if bind is not None else ""
    return hashlib.sha256(f"{url}|{node_id}".encode()).hexdigest()[:16]


class NodeCore:
    """The runtime-neutral runner of one node; subclasses send commands (``enqueue``) and talk to the PBX."""

    #: Asterisk's ``sb-outbound`` runs AMD() and acts on machines itself; FreeSWITCH's only parks.
    route_handles_machines = True
    #: The node's detector says HUMAN this long after the greeting ended (when its verdict doesn't say).
    amd_verdict_lag_s = 0.0

    def __init__(self, sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                 *, claimed_by: str | None = None, lease: NodeLease | None = None) -> None:
        self.sessions = sessions
        self.node = node
        self.options = options or RunnerOptions()
        #: Held when the node has a standby (``runner.lease``): then, and only then, the runner stops
        #: acting once it may have passed on. None: a single runner, never stopped by the database.
        self.lease = lease
        self.claimed_by = claimed_by or f"runner:{node.name}"
        self.writer = FactWriter(node.id)
        self.db = DbGate(self.options.db_backoff)
        #: (campaign or None for faxes, facts) the database refused
        self.unwritten: list[tuple[int | None, tuple[Fact, ...]]] = []
        self._link_up = False  # connected to the PBX now (new dialers start in this state)
        self.leg_owner = runner_identity(sessions, node.id)
        self._adopt: dict[int, str] = {}  # agent id -> their leg still up from a previous run
        self.faults = FaultWatch()
        self.host = NodeHost()  # the pure core: units (the slots' dialers) and the agent pool
        self.faxes = NodeFaxes(node.id, self.options.fax)  # the node's fax lines (no campaign, no agent)
        self.monitors = Monitors()  # team leaders listening to agents' calls
        self.ivr_visits = ivr.MenuVisits()  # callers inside an IVR menu (the menus run on the PBX)
        self.slots: dict[int, Slot] = {}  # by campaign id, in the host's order
        self.queues = NodeQueues(self.host, node.id)  # the inbound routes' queues (after the campaigns)
        self._relogin: list[recovery.LoggedIn] = []
        self._monitor_legs: list[str] = []  # a previous run's team leaders' legs, hung up at start
        self._stale: set[str] = set()  # a previous run's agent legs still in a call
        self._connected_at = 0.0  # monotonic time of the last PbxConnected
        self._started = False  # first PbxConnected handled
        now = time.monotonic()
        self._last = {"state": now, "restore": now, "sweep": now, "phones": now}

    def enqueue(self, command: c.Command) -> None:
        """Hand a command to the runtime's senders (originates rate-limited, the rest at once)."""
        raise NotImplementedError

    def fence(self, session: Session) -> None:
        """In a write that matters (claims, facts, desk commands): raise ``LeaseLost`` if taken over."""
        if self.lease is not None:
            self.lease.fence(session)

    def may_send(self) -> None:
        """Right before a command leaves for the PBX: raise ``LeaseLost`` once the lease may have gone."""
        if self.lease is not None:
            self.lease.check()

    # --- the one place inputs go through ---

    def feed(self, event: Event) -> None:
        if isinstance(event, PbxConnected | PbxDisconnected):
            self._link_up = isinstance(event, PbxConnected)
            self.faults.clear()
        if self._fax(event) or self._monitor(event) or self._ivr(event) or self._refused(event):
            return
        fault = self._campaign_fault(event)
        # (campaign id, or None for an inbound queue's facts; step)
        steps = [(None if self.queues.owns(key) else key.id, step) for key, step in self.host.handle(event)]
        if fault is not None:
            campaign, lead, reason = fault
            rules = self.slots[campaign].dialer.config.lead_rules
            steps = [(unit, replace(step, facts=give_back(step.facts, lead, rules, reason))
                      if unit == campaign else step) for unit, step in steps]
        if log.isEnabledFor(logging.DEBUG):
            if not isinstance(event, Tick):
                log.debug("event %r", event)
            for unit, step in steps:
                for item in (*step.facts, *step.commands):
                    log.debug("campaign=%s %r", unit if unit is not None else "-", item)
        stored = self.store([(unit, step.facts) for unit, step in steps if step.facts])
        self._send([command for _, step in steps for command in step.commands], stored)

    def _send(self, commands: list[c.Command], stored: bool) -> None:
        """Hand a step's commands on, once its facts were stored -- or kept, the database being out.

        With a standby, a customer's originate leaves only with its attempt stored: else it is
        refused here (never placed, not charged), for the standby taking over would give its lead
        back while the call rings, and dial it again. A single runner sends it (its kept facts
        follow), and agent legs always go (a taking-over runner finds them by their mark).
        """
        for command in commands:
            if (not stored and self.lease is not None and isinstance(command, c.Originate)
                    and command.route != routes.AGENT_HOLD):
                self.refused(command, "its attempt could not be stored (database unavailable)")
                continue
            self.enqueue(self._mark(command))

    def _fax(self, event: Event) -> bool:
        """Feed the fax lines; True when ``event`` was only theirs (ticks and the link go on to the host)."""
        step = self.faxes.handle(event)
        if step is None:
            return False
        if step.facts:
            self.store([(None, step.facts)])
        for command in step.commands:
            self.enqueue(command)
        return not isinstance(event, Tick | PbxConnected | PbxDisconnected)

    def _ivr(self, event: Event) -> bool:
        """Keep what the IVR menus report (the menus run on the PBX): a callback request, a busy
        caller, a step of a caller's visit, a hang-up inside a menu; True when the event was only
        the IVR's (a hang-up and a reconnect go on to the units)."""
        facts = self.ivr_visits.handle(event)
        if facts is None:
            return False
        if facts:
            self.store([(None, facts)])
        return not isinstance(event, HungUp | PbxConnected)

    def _monitor(self, event: Event) -> bool:
        """Feed the monitoring sessions; True when ``event`` was only theirs (a customer's hang-up is not)."""
        only_theirs = self.monitors.owns(event)  # asked first: the leg's hang-up ends its session
        step = self.monitors.handle(event, self.host.pool)
        if step.facts:
            self.store([(None, step.facts)])
        for command in step.commands:
            self.enqueue(command)
        return only_theirs

    def _refused(self, event: Event) -> bool:
        """A transfer the node's pool cannot carry out: its refusal is stored, no unit sees it."""
        refused = self.host.refuse_transfer(event) if isinstance(event, TransferCall) else None
        if refused is None:
            return False
        self.store([(None, (refused,))])
        return True

    def claim_faxes(self) -> None:
        """Take the queued faxes no runner took yet; the lines start those a line is free for."""
        with self.sessions.begin() as session:
            self.fence(session)
            step = self.faxes.claim(session, time.time())
        if step.facts:
            self.store([(None, step.facts)])
        for command in step.commands:
            self.enqueue(command)

    def _campaign_fault(self, event: Event) -> tuple[int, Lead, str] | None:
        """(campaign, lead, reason) when ``event`` fails a customer call for a reason of the
        campaign's (pausing it after a few in a row); a call that got through resets the count."""
        if not isinstance(event, CallEvent):
            return None
        reason = campaign_fault(event)
        for slot in self.slots.values():
            call = slot.dialer.calls.find(event.attempt_id, event.channel_id)
            if call is None:
                continue
            if reason is None:
                self.faults.went_through(slot.campaign_id)
                return None
            if self.faults.failed(slot.campaign_id, reason):
                self.pause(slot, f"paused by the runner: {self.faults.threshold} calls in a row failed "
                                 f"before reaching the network ({reason}); check the campaign's trunk and "
                                 "caller ID")
            return slot.campaign_id, call.lead, reason
        return None

    def pause(self, slot: Slot, reason: str) -> None:
        """Stop claiming leads for ``slot`` now, and pause its campaign in the store with ``reason``."""
        log.warning("campaign paused campaign=%s reason=%s", slot.campaign_id, reason)
        slot.leads.enabled, slot.state = False, CampaignState.PAUSED
        try:
            with self.sessions.begin() as session:
                campaign = session.get(m.Campaign, slot.campaign_id)
                if campaign is not None:
                    pause(campaign, reason)
        except DBAPIError as exc:
            self.db.failed("pausing a campaign", exc)

    def _admit(self, campaign: m.Campaign) -> bool:
        """False, and the campaign paused with the reason (in the caller's transaction), when its
        settings would fail every call."""
        error = settings_error(campaign)
        if error is None:
            return True
        if (campaign.desired_state, campaign.paused_reason) != (CampaignState.PAUSED, error):
            log.warning("campaign paused campaign=%s reason=%s", campaign.id, error)
            pause(campaign, error)
        return False

    def _mark(self, command: c.Command) -> c.Command:
        """Our agent legs carry our identity and their agent (a restarted runner finds them by it)."""
        if isinstance(command, c.Originate) and command.route == routes.AGENT_HOLD:
            agent = command.variables.get(routes.VAR_AGENT, "")
            return replace(command, variables={**command.variables,
                                               AGENT_LEG_VAR: f"{self.leg_owner}-{agent}"})
        return command

    def store(self, new: Iterable[tuple[int | None, tuple[Fact, ...]]] = ()) -> bool:
        """Write the kept facts, then ``new``, in one transaction; keep them all if the database is out.

        Returns True when nothing is left unwritten. Called with nothing new on
        every tick, so kept facts are written soon after the database is back.
        """
        self.unwritten.extend(new)
        if not self.unwritten:
            return True
        if not self.db.open():
            return False
        try:
            with self.sessions.begin() as session:
                self.fence(session)
                for campaign_id, facts in self.unwritten:
                    self.writer.write(session, campaign_id, facts)
        except DBAPIError as exc:
            self.db.failed(f"writing {len(self.unwritten)} steps of facts", exc)
            return False
        if self.db.down:
            log.info("kept facts written steps=%d", len(self.unwritten))
        self.db.succeeded()
        self.unwritten.clear()
        return True

    def refused(self, command: c.Command, message: str) -> None:
        """The PBX refused ``command``: nothing happened. A refused originate creates no channel
        (``placed=False``: the node's refusal, not charged to the lead)."""
        log.warning("command refused kind=%s error=%s", type(command).__name__, message)
        if isinstance(command, c.Originate):
            self.feed(OriginateFailed(time.time(), command.channel_id, command.attempt_id, cause=0,
                                      call_id=command.channel_id, reason=message, placed=False))

    # --- campaigns ---

    def _load(self, campaign: m.Campaign, open_attempts: Iterable[OpenAttempt], session: Session) -> None:
        """Build the campaign's dialer and host it (replacing one of the same campaign in place)."""
        config = self._config(campaign)
        leads = DbLeadSource(self.sessions, campaign.id, self.claimed_by, self.db, fence=self.fence,
                             pool_owned=config.mode is DialMode.PREDICTIVE)
        counter = config.abandon_counter()
        counter.restore(compliance.campaign_buckets(session, campaign.id, utcnow()))
        policy = self.options.policy_for(config) if config.mode is DialMode.PREDICTIVE else None
        dialer = CampaignDialer(config, leads, DbDnc(self.sessions, campaign.id, leads), pool=self.host.pool,
                                policy=policy, counter=counter, open_attempts=list(open_attempts),
                                connected=self._link_up, trunks=self.host.trunks)
        log.info("campaign loaded campaign=%s mode=%s state=%s open_attempts=%d policy=%s", campaign.id,
                 config.mode.value, campaign.desired_state.value, len(dialer.attempts()),
                 getattr(policy, "name", "-"))
        leads.enabled = campaign.desired_state is CampaignState.RUNNING
        self.slots[campaign.id] = Slot(dialer, leads, campaign.desired_state)
        self.host.add(dialer)

    def _unload(self, campaign_id: int) -> None:
        self.host.remove(self.slots.pop(campaign_id).dialer.key)

    def _config(self, campaign: m.Campaign) -> CampaignConfig:
        return campaign_config(campaign, **{"route_handles_machines": self.route_handles_machines,
                                            "amd_verdict_lag_s": self.amd_verdict_lag_s,
                                            **self.options.config_overrides})

    def _refresh(self, slot: Slot, campaign: m.Campaign, session: Session) -> None:
        """Apply the campaign's edited settings to its running dialer (live calls and agents stay).

        A new dialing mode needs a new dialer: built once the campaign has no call and no agent.
        Settings that would fail every call pause the campaign instead (``_admit``).
        """
        config = self._config(campaign)
        if config == slot.dialer.config or not self._admit(campaign):
            return
        if config.mode is not slot.dialer.config.mode:
            if slot.idle():
                self._load(campaign, (), session)
                log.info("campaign rebuilt campaign=%s mode=%s", campaign.id, config.mode.value)
            return
        slot.dialer.reconfigure(config)
        log.info("campaign settings reloaded campaign=%s", campaign.id)

    def recover(self) -> float:
        """Read back what a previous run left (see ``recovery``) and build the dialers.

        Returns 0, or (the database being out) how many seconds to wait before calling again.
        """
        try:
            self._recover()
        except DBAPIError as exc:
            for campaign_id in list(self.slots):
                self._unload(campaign_id)
            self.db.failed("start-up recovery", exc)
            return self.db.retry_in()
        self.db.succeeded()
        return 0.0

    def _recover(self) -> None:
        with self.sessions.begin() as session:
            released = recovery.release_undialed(session, self.claimed_by)
        with self.sessions.begin() as session:
            opened = recovery.open_attempts_by_campaign(session, self.node.id)
            self._relogin = recovery.logged_in_agents(session, self.node.id)
            self._monitor_legs = recovery.close_monitor_sessions(session, self.node.id)
            wanted = set(opened) | set(session.scalars(select(m.Campaign.id).where(
                m.Campaign.desired_state == CampaignState.RUNNING, m.Campaign.mode.in_(OUTBOUND_MODES))))
            for campaign in session.scalars(select(m.Campaign).where(m.Campaign.id.in_(wanted))):
                if self._admit(campaign) or campaign.id in opened:  # calls in flight are followed to the end
                    self._load(campaign, opened.get(campaign.id, ()), session)
            self.queues.sync(session)
        log.info("recovered node=%s released_claims=%d open_attempts=%d agents_to_relogin=%d", self.node.name,
                 released, sum(len(v) for v in opened.values()), len(self._relogin))

    def sync_campaigns(self, restore_counts: bool = False) -> None:
        with self.sessions.begin() as session:  # writes only to pause a campaign (_admit)
            rows = {c.id: c for c in session.scalars(select(m.Campaign).where(
                m.Campaign.mode.in_(OUTBOUND_MODES),
                (m.Campaign.desired_state == CampaignState.RUNNING) | m.Campaign.id.in_(list(self.slots))))}
            for campaign in rows.values():
                if (campaign.id not in self.slots and campaign.desired_state is CampaignState.RUNNING
                        and self._admit(campaign)):
                    self._load(campaign, (), session)
            for campaign_id, slot in list(self.slots.items()):
                self._follow(campaign_id, slot, rows.get(campaign_id), session, restore_counts)
            self.queues.sync(session)
            self._check_standby(session)
        self._unload_stopped()

    def _check_standby(self, session: Session) -> None:
        """A runner without a lease whose node was just given a standby stops, to start again holding
        the lease (``runner.main``): the second runner, started next, then stands by."""
        standby = select(m.PbxNode.standby).where(m.PbxNode.id == self.node.id)
        if self.lease is None and session.scalar(standby):
            raise StandbySwitchedOn(f"node {self.node.name} was given a standby runner")

    def _follow(self, campaign_id: int, slot: Slot, row: m.Campaign | None, session: Session,
                restore_counts: bool) -> None:
        """A loaded campaign follows its row: settings, desired state, after a restart its abandon counts."""
        if row is not None:
            self._refresh(slot, row, session)
            slot = self.slots[campaign_id]
        state = row.desired_state if row is not None else CampaignState.STOPPED
        if state is not slot.state:
            log.info("campaign state campaign=%s %s -> %s", campaign_id, slot.state.value, state.value)
            slot.state = state
        slot.leads.enabled = state is CampaignState.RUNNING
        if restore_counts and row is not None:
            slot.dialer.counter.restore(compliance.campaign_buckets(session, campaign_id, utcnow()))

    def _unload_stopped(self) -> None:
        """A stopped campaign logs its agents out and is unloaded once its calls are over."""
        for campaign_id, slot in list(self.slots.items()):
            if slot.state is CampaignState.STOPPED:
                for agent_id in list(slot.dialer.agents.agents):
                    self.feed(AgentStateChanged(time.time(), agent_id, AgentState.LOGGED_OUT,
                                                "campaign stopped"))
                if slot.idle():
                    self._unload(campaign_id)
                    log.info("campaign unloaded campaign=%s", campaign_id)

    def poll_commands(self) -> int:
        """Take the node's pending desk commands and feed them to the dialers; return how many.

        A command for a campaign this runner has not loaded yet (started a moment
        ago: campaign states are read every ``state_poll_s``, commands every
        ``poll_s``) loads it first; one for a stopped or unknown campaign fails
        with a reason the user sees.
        """
        with self.sessions.begin() as session:
            self.fence(session)
            taken = take_inputs(session, self.node.id, time.time(), taken_by=self.claimed_by,
                                running=_LoadedOrLoad(self, session))
        for item in taken:
            self.feed(item.event)
        return len(taken)

    def load_campaign(self, session: Session, campaign_id: int) -> bool:
        """The campaign's dialer, built now if its row says running; False if it is not running here."""
        if campaign_id in self.slots:
            return True
        campaign = session.get(m.Campaign, campaign_id)
        if (campaign is None or campaign.desired_state is CampaignState.STOPPED
                or campaign.mode not in OUTBOUND_MODES or not self._admit(campaign)):
            return False
        self._load(campaign, (), session)
        return True

    def retry_phones(self, now: float) -> None:
        """Shortly after a (re)connect, agents whose nailed-up leg failed get another one.

        A restarted PBX accepts the manager connection before the phones have
        registered again, so the first legs fail; the core then pauses the agent
        ("phone disconnected") and waits for a ready request, which the runner
        makes for them during the grace.
        """
        if not self._started or now - self._connected_at > self.options.phone_grace_s:
            return
        for agent in self.host.pool:
            if agent.state is AgentState.PAUSED and agent.reason == NO_PHONE:
                self.feed(AgentStateChanged(time.time(), agent.agent_id, AgentState.READY))

    # --- connection and start-up ---

    @property
    def started(self) -> bool:
        return self._started

    def connected(self, event: PbxConnected) -> None:
        """Note a (re)connect; the caller feeds the event (or, the first time, calls :meth:`start`)."""
        self._connected_at = time.monotonic()
        self._link_up = True
        log.info("pbx connected node=%s live=%d uncertain=%d", self.node.name,
                 len(event.live_channel_ids), len(event.uncertain_channel_ids))

    def start(self, event: PbxConnected) -> None:
        """The first ``PbxConnected``, once the previous run's agent legs were swept."""
        self.feed(event)
        for leg in self._monitor_legs:
            if leg in event.live_channel_ids:
                self.enqueue(c.Hangup(leg))
        self._monitor_legs = []
        for agent in self._relogin:
            leg = self._adopt.pop(agent.agent_id, "")
            if agent.campaign_id in self.slots or (agent.campaign_id is None and agent.hotline):
                if leg:
                    log.info("agent keeps their leg agent=%s channel=%s", agent.agent_id, leg)
                queues = agent.overflow if agent.campaign_id is not None else agent.hotline
                self.feed(AgentLogin(time.time(), agent.campaign_id, agent.agent_id, agent.phone, leg,
                                     queues=queues, confirm=agent.confirm))
            elif leg:
                self._stale.add(leg)  # their campaign is not here any more: hung up once out of any call
        self._relogin = []
        self._started = True

    def stale_legs(self, listing: Iterable[HoldLeg], *, first: bool = False) -> list[str]:
        """Which listed agent legs to hang up now: a previous run's, once out of their call.

        On the first connect, a hold leg marked with our identity is a previous
        run's: the one leg of an agent still logged in is kept for them (taken
        over at :meth:`start`, in its call if it is in one); the others are hung
        up once out of their call. Legs without our mark are never touched.
        Later sweeps only look at those found stale. Call this after the listing
        arrived: a leg nailed up while it was on its way is owned by then.
        """
        owned = {a.leg for a in self.host.pool if a.leg}
        logged_in = {a.agent_id for a in self._relogin} if first else set()
        listed, hang_up = set(), []
        for leg in sorted(listing, key=lambda leg: not leg.bridged):  # an agent keeps the leg in a call
            listed.add(leg.channel_id)
            if not leg.channel_id or leg.channel_id in owned:
                continue
            owner, _, agent = leg.mark.rpartition("-")
            if first and owner == self.leg_owner:
                agent_id = int(agent) if agent.isdigit() else None
                if agent_id in logged_in and agent_id not in self._adopt:
                    self._adopt[agent_id] = leg.channel_id
                    continue
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
        """Seconds until the next ``Tick``: ``tick_s``, or sooner for a unit's deadline."""
        tick_s, wakeup = self.options.tick_s, self.host.next_wakeup()
        return max(0.01, min(tick_s, wakeup - time.time() if wakeup is not None else tick_s))

    def housekeeping(self, now: float) -> bool:
        """Every ``poll_s`` (monotonic ``now``); True when the runtime should sweep agent legs.

        Skipped while the database is out, and while facts wait to be written (a
        desk command must not overtake what happened before it).
        """
        if self.lease is not None:
            self.lease.keep()
        if self.db.open() and self.store():
            try:
                self._database_chores(now)
            except DBAPIError as exc:
                self.db.failed("housekeeping", exc)
        last, opts = self._last, self.options
        if now - last["phones"] >= opts.phone_retry_s:
            last["phones"] = now
            self.retry_phones(now)
        if self._stale and now - last["sweep"] >= opts.sweep_s:
            last["sweep"] = now
            return True
        return False

    def _database_chores(self, now: float) -> None:
        if self._started:  # agents log in after the old legs are swept
            self.poll_commands()
        last, opts = self._last, self.options
        if now - last["state"] >= opts.state_poll_s:
            restore = now - last["restore"] >= opts.restore_counts_s
            self.sync_campaigns(restore_counts=restore)
            if self._started:  # faxes are dialed once the PBX link is up
                self.claim_faxes()
            last["state"] = now
            if restore:
                last["restore"] = now
        if not self.unwritten:  # nothing fed meanwhile failed to be stored
            self.db.succeeded()


class _LoadedOrLoad:
    """``campaign_id in running`` for :func:`take_inputs`: loaded here, or loaded now if it runs."""

    def __init__(self, core: NodeCore, session: Session) -> None:
        self._core, self._session = core, session

    def __contains__(self, campaign_id: object) -> bool:
        return isinstance(campaign_id, int) and self._core.load_campaign(self._session, campaign_id)
