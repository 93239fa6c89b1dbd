"""``CampaignDialer``: the call / agent / lead state machine of one campaign.

Pure and deterministic: time comes from ``event.at``, ids from the injected
factory, leads and the DNC list through ports; every ``handle`` returns a
:class:`Step` (commands to send, facts to persist) and nothing else leaves.

An attempt is a call plus a lead: events are matched to attempts by our
``attempt_id`` channel variable (or the channel id we chose, which is also the
call's id), to agents by their nailed-up leg's channel id; not by ``call_id``,
which other legs of the call share (a FreeSWITCH loopback pair's far end).
Events and desk inputs that belong to another campaign, and calls that reach
the node (``CallArrived`` and their legs' events), match nothing and are
ignored, so a node (``orchestrator.node.host``) hands every event to every
campaign dialer it hosts. The dialer is one such unit
(``orchestrator.node.unit.Unit``): its agents are the ones it has claimed from
the node's pool, and it says how urgently it wants the next free one
(:meth:`CampaignDialer.claim`).

The pieces: ``agents.py`` (agent states and legs), ``callflow.py`` (a
customer call from answer to end), ``dialing.py`` (how many lines, which
leads, checks before each dial). This module routes inputs to them, runs the
timers on ``Tick`` and reconciles after a reconnect or a restart.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from orchestrator.agents.pool import AgentPool
from orchestrator.commands import Redirect
from orchestrator.compliance import AbandonCounter
from orchestrator.dialer import routes
from orchestrator.dialer.agents import CONNECTING, AgentBoard
from orchestrator.dialer.attempts import Attempt, CallBook, Phase, restored
from orchestrator.dialer.callflow import CallFlow
from orchestrator.dialer.config import CampaignConfig, DialMode
from orchestrator.dialer.dialing import DialHold, LineDialer
from orchestrator.dialer.facts import AmdDecided
from orchestrator.dialer.inputs import (
    AgentLeaving,
    AgentLogin,
    Disposition,
    EndCall,
    PreviewDial,
    TransferCall,
)
from orchestrator.dialer.pacing_feed import PacingFeed
from orchestrator.dialer.ports import DncList, IdFactory, LeadSource, OpenAttempt, uuid_ids
from orchestrator.dialer.stats import StatsRecorder
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdVerdict,
    CallEvent,
    Event,
    PbxConnected,
    PbxDisconnected,
    Tick,
)
from orchestrator.node.trunks import TrunkLines
from orchestrator.node.unit import Claim, UnitKey, UnitKind
from orchestrator.pacing.base import PacingPolicy, PacingState
from orchestrator.step import Outbox, Step

__all__ = ["CampaignDialer", "Step"]


class CampaignDialer:
    """One campaign on one PBX node.

    ``pool``: the node's agent pool (``NodeHost.pool``), which logs agents in
    for it. ``policy`` is required in predictive mode; ``counter`` may be pre-filled
    from the store (the campaign's counts over all nodes); ``open_attempts``
    are the calls a previous run left open (see :class:`OpenAttempt`).
    Nothing is dialed before the first ``PbxConnected``, unless the dialer is
    created on a node already connected (``connected=True``: a campaign started
    while its runner is up gets no ``PbxConnected`` of its own).
    """

    def __init__(self, config: CampaignConfig, leads: LeadSource, dnc: DncList, *, pool: AgentPool,
                 policy: PacingPolicy | None = None, counter: AbandonCounter | None = None,
                 ids: IdFactory = uuid_ids, open_attempts: Sequence[OpenAttempt] = (),
                 connected: bool = False, trunks: TrunkLines | None = None) -> None:
        if config.mode is DialMode.PREDICTIVE and policy is None:
            raise ValueError("a predictive campaign needs a pacing policy")
        self.config = config
        self.policy = policy
        self.counter = counter or config.abandon_counter()
        self.stats = StatsRecorder()
        self.agents = AgentBoard(pool, self.key, config.campaign_id, ids, config.ring_timeout_s)
        self.calls = CallBook()
        for o in open_attempts:
            self.calls.add(restored(o))
        self.lines = LineDialer(config, leads, dnc, ids, policy, self.agents, self.calls, self.counter,
                                self.stats, DialHold(random.Random(config.campaign_id)),  # noqa: S311 - jitter
                                trunks)
        self.flow = CallFlow(config, self.agents, self.calls, self.counter, self.stats, self.lines.hold)
        self.pacing = PacingFeed(policy, config.uses_amd) if policy is not None else None
        self.connected = connected

    @property
    def key(self) -> UnitKey:
        return UnitKey(UnitKind.CAMPAIGN, self.config.campaign_id)

    def handle(self, event: Event) -> Step:
        out = Outbox()
        now = event.at
        match event:
            case Tick():
                self._tick(now, out)
            case CallEvent():
                self._call_event(event, now, out)
            case AgentLogin() | AgentStateChanged() | AgentLeaving() | TransferCall():
                self._agent_input(event, now, out)
            case PreviewDial(campaign_id=self.config.campaign_id):
                self.lines.preview(event, self.connected, now, out)
            case Disposition(campaign_id=self.config.campaign_id):
                self.flow.dispose(event, now, out)
            case EndCall():
                self.flow.end_call(event.agent_id, now, out)
            case PbxConnected():
                self._reconcile(event, now, out)
                self.lines.hold.lift()
                self.connected = True
            case PbxDisconnected():
                self.connected = False
                for a in self.calls.all():
                    a.seen_at = now
        return self._finish(now, out)

    def _agent_input(self, event: AgentLogin | AgentStateChanged | AgentLeaving | TransferCall, now: float,
                     out: Outbox) -> None:
        """An agent of this campaign logs in, asks for a state, announces they are leaving, or transfers
        their call."""
        match event:
            case AgentLogin() if (joined := self.agents.starting(event.agent_id)) is not None:
                call = next((a for a in self.calls.in_phase(Phase.CONNECTED) if a.agent_id == event.agent_id),
                            None) if event.leg else None
                self.agents.login(joined, now, out, on_call=call.attempt_id if call is not None else None)
            case AgentStateChanged() if event.agent_id in self.agents.agents:
                agent = self.agents.agents[event.agent_id]
                if agent.state is AgentState.WRAP_UP and event.state is AgentState.READY:
                    self.flow.release(agent, now, out)  # "ready" ends the wrap-up early
                else:
                    self.agents.request(agent, event.state, event.reason, now, out)
            case AgentLeaving() if event.agent_id in self.agents.agents:
                self.agents.announce(self.agents.agents[event.agent_id], event.leaving_at, event.state,
                                     event.reason, now, out)
            case TransferCall() if event.agent_id in self.agents.agents:
                self.flow.transfer(event, now, out)

    def claim(self, now: float) -> Claim:
        """Outbound campaigns claim at one priority; a customer waiting for any agent makes it urgent."""
        waiting = [a.live_at for a in self.calls.in_phase(Phase.WAITING)
                   if a.agent_id is None and a.live_at is not None]  # a preview call waits for its own agent
        return Claim(waiting_since=min(waiting, default=None))

    def take(self, agent_id: int, now: float) -> Step:
        """The node's blending gave us a free agent (leg up): READY here, and to a waiting customer."""
        out = Outbox()
        self.agents.set_state(self.agents.agents[agent_id], AgentState.READY, "", now, out)
        return self._finish(now, out)

    def lines_on(self, trunk: str) -> int:
        """Every customer call in progress holds a channel on the campaign's trunk."""
        return len(self.calls) if trunk == self.config.trunk else 0

    def _finish(self, now: float, out: Outbox) -> Step:
        """Every input ends the same way: waiting customers get free agents, the policy learns."""
        self.flow.connect_waiting(now, out)
        step = out.step()
        if self.pacing is not None:
            self.pacing.feed(step.facts)
        return step

    def reconfigure(self, config: CampaignConfig) -> None:
        """The campaign's settings changed: apply them from now on, keeping live calls and agents.

        The dialing mode cannot change under live calls (it decides whether a policy runs):
        build a new dialer for that once the campaign is idle.
        """
        if config.campaign_id != self.config.campaign_id or config.mode is not self.config.mode:
            raise ValueError("reconfigure keeps the campaign and its dialing mode")
        self.config = self.flow.config = self.lines.config = config
        self.agents.leg_timeout_s = config.ring_timeout_s
        if self.pacing is not None:
            self.pacing.uses_amd = config.uses_amd

    def attempts(self) -> tuple[Attempt, ...]:
        """Customer calls in progress (for status pages; do not mutate)."""
        return self.calls.all()

    def pacing_state(self, now: float) -> PacingState:
        return self.lines.pacing_state(now)

    def next_wakeup(self) -> float | None:
        """The earliest deadline (abandon, AMD timeout, wrap-up end): tick no later than this."""
        c = self.config
        deadlines = [a.live_at + c.abandon_deadline_s for a in self.calls.in_phase(Phase.WAITING)
                     if a.live_at is not None]
        deadlines += [a.answered_at + c.amd_timeout_s for a in self.calls.in_phase(Phase.ANSWERED)
                      if a.answered_at is not None]
        deadlines += [a.since + c.wrap_up_s for a in self.agents.agents.values()
                      if a.state is AgentState.WRAP_UP]
        return min(deadlines, default=None)

    def _tick(self, now: float, out: Outbox) -> None:
        """Timers first (AMD timeout, wrap-up end), then hand-offs, then abandons, then new lines."""
        c = self.config
        for a in self.calls.in_phase(Phase.ANSWERED):
            if a.answered_at is not None and now - a.answered_at >= c.amd_timeout_s:
                out.record(AmdDecided(now, a.attempt_id, AmdVerdict.NOTSURE, "timeout"))
                self.flow.go_live(a, now, out)
        self.agents.departures_due(now, out)
        for agent in self.agents.wrap_ups_due(now, c.wrap_up_s):
            self.flow.release(agent, now, out)
        self.flow.connect_waiting(now, out)
        for a in self.calls.in_phase(Phase.WAITING):
            if a.live_at is not None and now - a.live_at >= c.abandon_deadline_s:
                self.flow.abandon(a, now, out, "no agent")
                out.send(Redirect(a.channel_id, routes.ABANDON))
        if self.connected:
            self.lines.dial(now, out)

    def _call_event(self, event: CallEvent, now: float, out: Outbox) -> None:
        if self.flow.surveys.on_event(event, out):
            return
        a = self.calls.find(event.attempt_id, event.channel_id)
        if a is not None:
            self.flow.on_event(a, event, now, out)
            return
        agent = self.agents.by_leg(event.channel_id)
        if agent is not None:
            self.flow.leg_event(agent, event, now, out)

    def _reconcile(self, event: PbxConnected, now: float, out: Outbox) -> None:
        """Calls whose channel is gone ended while we were not looking: end them as LOST
        (retried after the rules' delay, never at once) at the last moment they were known
        alive, so a bridged one's talk time is not the whole gap. Connected calls the PBX shows
        in no bridge wait for an agent again. Agents whose leg is gone get a new one if they
        were available."""
        live = event.live_channel_ids
        self.flow.surveys.forget(live)
        for a in self.calls.all():
            if a.channel_id not in live:
                self.flow.end(a, 0, now, out, lost=True,
                              ended_at=min(now, max(a.seen_at or now, a.bridged_at or a.started_at)))
            else:
                a.seen_at = None  # watched again
        if event.bridged_channel_ids is not None:
            self._rebridge(live - event.bridged_channel_ids, now, out)
        for agent in list(self.agents.agents.values()):
            if agent.leg is not None and agent.leg not in live:
                was_available = agent.state is AgentState.READY or agent.reason == CONNECTING
                self.flow.leg_lost(agent, now, out)
                if was_available:
                    self.agents.make_ready(agent, now, out)

    def _rebridge(self, unbridged: frozenset[str], now: float, out: Outbox) -> None:
        """Connected calls whose live channel is in no bridge wait for an agent again.

        A runner killed between storing a bridge and sending it leaves the customer alone on
        the line while the store says connected; the runner that takes over would otherwise
        keep the call connected to nobody until the customer hangs up. Such a call is a live
        customer waiting: its abandon clock starts now, and it gets the next free agent or
        the abandon message, as any waiting customer does (``CallFlow.unbridged``).
        """
        for a in self.calls.in_phase(Phase.CONNECTED):
            if a.channel_id in unbridged:
                self.flow.unbridged(a, now, out)
