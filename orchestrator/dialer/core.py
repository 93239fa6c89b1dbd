"""``CampaignDialer``: the call / agent / lead state machine of one campaign.

Pure and deterministic: time comes from ``event.at``, ids from the injected
factory, leads and the DNC list through ports; every ``handle`` returns a
:class:`Step` (commands to send, facts to persist) and nothing else leaves.

Events are matched to calls by our ``attempt_id`` channel variable (or the
channel id we chose), to agents by their nailed-up leg's channel id. Events
and desk inputs that belong to another campaign are ignored, so a runner may
hand every event to every campaign's dialer of its node.

Customer handoff (see ``attempts.py`` for the phases): on a HUMAN/NOTSURE
verdict (or answer, without AMD) the customer is bridged at once to the
longest-idle READY agent's nailed-up leg and recorded; with nobody ready the
customer waits, and a ``Tick`` at or after ``abandon_after_s`` (2 s) redirects
them to the abandon message and records the abandon. ``next_wakeup()`` tells
the runner when that deadline falls, so it can tick on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from orchestrator import safe
from orchestrator.commands import (
    Bridge,
    Endpoint,
    EndpointKind,
    Hangup,
    Originate,
    Redirect,
    StartAmd,
    StartRecording,
)
from orchestrator.compliance import AbandonCounter
from orchestrator.dialer import routes
from orchestrator.dialer.agents import CONNECTING, Agent, AgentBoard
from orchestrator.dialer.attempts import Attempt, Phase
from orchestrator.dialer.config import CampaignConfig, DialMode, MachineAction
from orchestrator.dialer.facts import (
    AmdDecided,
    AttemptAbandoned,
    AttemptAnswered,
    AttemptBridged,
    AttemptEnded,
    AttemptStarted,
    DispositionRecorded,
    LeadUpdated,
)
from orchestrator.dialer.inputs import AgentLogin, Disposition, PreviewDial
from orchestrator.dialer.outbox import Outbox, Step
from orchestrator.dialer.ports import DncList, IdFactory, LeadSource, OpenAttempt, uuid_ids
from orchestrator.dialer.stats import StatsRecorder
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdResult,
    AmdVerdict,
    Answered,
    CallEvent,
    DialplanSignal,
    Event,
    HungUp,
    OriginateFailed,
    PbxConnected,
    PbxDisconnected,
    Tick,
)
from orchestrator.leads.model import Lead, LeadStatus, LeadUpdate
from orchestrator.leads.outcomes import Outcome, classify_unanswered
from orchestrator.leads.rules import after_attempt, after_disposition, check_before_dial, release
from orchestrator.pacing.base import PacingPolicy, PacingState

__all__ = ["CampaignDialer", "Step"]


def restored(o: OpenAttempt) -> Attempt:
    """An attempt from the store, in the phase its recorded milestones put it in."""
    if o.bridged_at is not None:
        phase = Phase.CONNECTED
    elif o.live_at is not None:
        phase = Phase.WAITING
    else:
        phase = Phase.ANSWERED if o.answered_at is not None else Phase.DIALING
    return Attempt(o.attempt_id, o.channel_id, o.lead, o.started_at, phase, o.agent_id,
                   o.answered_at, o.live_at, o.bridged_at)


class CampaignDialer:
    def __init__(self, config: CampaignConfig, leads: LeadSource, dnc: DncList, *,
                 policy: PacingPolicy | None = None, counter: AbandonCounter | None = None,
                 ids: IdFactory = uuid_ids, open_attempts: Sequence[OpenAttempt] = ()) -> None:
        if config.mode is DialMode.PREDICTIVE and policy is None:
            raise ValueError("a predictive campaign needs a pacing policy")
        self.config = config
        self.policy = policy
        self.counter = counter or AbandonCounter(config.compliance, config.amd_false_positive_rate)
        self.stats = StatsRecorder()
        self.agents = AgentBoard(config.campaign_id, ids, config.ring_timeout_s)
        self.connected = False  # no dialing until the adapter reports PbxConnected
        self._leads, self._dnc, self._ids = leads, dnc, ids
        self._attempts: dict[str, Attempt] = {}
        self._by_channel: dict[str, str] = {}
        self._last_call: dict[int, tuple[str, Lead]] = {}  # agent -> call awaiting disposition
        for o in open_attempts:
            self._track(restored(o))

    # -- public API ----------------------------------------------------------
    def handle(self, event: Event) -> Step:
        out = Outbox()
        now = event.at
        match event:
            case Tick():
                self._tick(now, out)
            case CallEvent():
                self._call_event(event, now, out)
            case AgentLogin(campaign_id=self.config.campaign_id):
                self.agents.login(event.agent_id, event.seat, now, out)
            case AgentStateChanged() if event.agent_id in self.agents.agents:
                agent = self.agents.agents[event.agent_id]
                if agent.state is AgentState.WRAP_UP and event.state is AgentState.READY:
                    self._release(agent, now, out)  # "ready" ends the wrap-up early
                else:
                    self.agents.request(agent, event.state, event.reason, now, out)
            case PreviewDial(campaign_id=self.config.campaign_id):
                self._preview(event, now, out)
            case Disposition(campaign_id=self.config.campaign_id):
                self._disposition(event, now, out)
            case PbxConnected():
                self._reconcile(event.live_channel_ids, now, out)
                self.connected = True
            case PbxDisconnected():
                self.connected = False
        self._connect_waiting(now, out)
        return out.step()

    def attempts(self) -> tuple[Attempt, ...]:
        """Customer calls in progress (for the runner's status page; do not mutate)."""
        return tuple(self._attempts.values())

    def next_wakeup(self) -> float | None:
        """The earliest deadline (abandon, AMD timeout, wrap-up end): tick no later than this."""
        c = self.config
        deadlines = [a.live_at + c.abandon_after_s for a in self._attempts.values()
                     if a.phase is Phase.WAITING and a.live_at is not None]
        deadlines += [a.answered_at + c.amd_timeout_s for a in self._attempts.values()
                      if a.phase is Phase.ANSWERED and a.answered_at is not None]
        deadlines += [a.since + c.wrap_up_s for a in self.agents.agents.values()
                      if a.state is AgentState.WRAP_UP]
        return min(deadlines, default=None)

    def pacing_state(self, now: float) -> PacingState:
        """What the pacing policy sees. Calls awaiting AMD count as ringing: not yet known to need agents."""
        phases = [a.phase for a in self._attempts.values()]
        return PacingState(
            now=now, agents=self.agents.views(now),
            lines_ringing=sum(p in (Phase.DIALING, Phase.ANSWERED) for p in phases),
            customers_waiting=phases.count(Phase.WAITING), abandon_cap=self.config.abandon_cap,
            windows=self.counter.windows(now), stats=self.stats.snapshot(),
            max_lines=max(0, self.config.max_lines - len(self._attempts)))

    # -- dialing -------------------------------------------------------------
    def _tick(self, now: float, out: Outbox) -> None:
        c = self.config
        for a in self._in_phase(Phase.ANSWERED):
            if now - a.answered_at >= c.amd_timeout_s:
                out.record(AmdDecided(now, a.attempt_id, AmdVerdict.NOTSURE, "timeout"))
                self._go_live(a, now)
        for agent in self.agents.wrap_ups_due(now, c.wrap_up_s):
            self._release(agent, now, out)
        self._connect_waiting(now, out)
        for a in self._in_phase(Phase.WAITING):
            if now - a.live_at >= c.abandon_after_s:
                self._abandon(a, now, out, "no agent")
                out.send(Redirect(a.channel_id, routes.ABANDON))
        if self.connected and c.mode is not DialMode.PREVIEW:
            self._dial(now, out)

    def _dial(self, now: float, out: Outbox) -> None:
        c = self.config
        if c.mode is DialMode.PROGRESSIVE:
            wanted = len(self.agents.ready()) - sum(a.in_flight for a in self._attempts.values())
        else:
            assert self.policy is not None
            wanted = self.policy.lines_to_dial(self.pacing_state(now))
        n = min(wanted, c.max_lines - len(self._attempts), c.max_originates_per_tick)
        if n > 0:
            for lead in self._leads.claim(n, now):
                self._originate(lead, None, now, out)

    def _originate(self, lead: Lead, agent: Agent | None, now: float, out: Outbox) -> Attempt | None:
        """Dial ``lead`` if the rules allow it now; else release or end the lead (and return None)."""
        c = self.config
        refusal = check_before_dial(lead, now, c.lead_rules, self._dnc.blocks(lead.number, now))
        if refusal is not None:
            out.record(LeadUpdated(now, refusal))
            return None
        a = Attempt(self._ids(), self._ids(), lead, now, agent_id=agent.agent_id if agent else None)
        variables = {routes.VAR_CAMPAIGN: str(c.campaign_id), routes.VAR_LEAD: str(lead.lead_id),
                     routes.VAR_AMD: "yes" if c.uses_amd else "no",
                     routes.VAR_AMD_ACTION: c.machine_action.value}
        for name, value in ((routes.VAR_MESSAGE_SOUND, c.message_sound),
                            (routes.VAR_ABANDON_SOUND, c.abandon_sound)):
            if value:
                variables[name] = value
        try:
            endpoint = Endpoint(EndpointKind.TRUNK, c.trunk, lead.number)
            command = Originate(a.attempt_id, a.channel_id, endpoint, routes.OUTBOUND, c.caller_id,
                                c.ring_timeout_s, variables)
        except safe.UnsafeValue as error:  # a number no PBX should see: never dial it
            out.record(LeadUpdated(now, LeadUpdate(lead.lead_id, LeadStatus.INVALID, lead.attempts,
                                                   reason=str(error))))
            return None
        self._track(a)
        self.stats.dials += 1
        out.send(command)
        out.record(AttemptStarted(now, a.attempt_id, c.campaign_id, lead.lead_id, a.channel_id, lead.number,
                                  a.agent_id))
        return a

    def _preview(self, event: PreviewDial, now: float, out: Outbox) -> None:
        agent = self.agents.agents.get(event.agent_id)
        if not self.connected or agent is None or agent.state is not AgentState.READY:
            out.record(LeadUpdated(now, release(event.lead, now, self.config.lead_rules, "agent not ready")))
            return
        self.agents.set_state(agent, AgentState.RESERVED, "preview", now, out)
        attempt = self._originate(event.lead, agent, now, out)
        if attempt is not None:
            agent.attempt_id = attempt.attempt_id
        else:
            self.agents.set_state(agent, AgentState.READY, "", now, out)

    # -- call progress -------------------------------------------------------
    def _call_event(self, event: CallEvent, now: float, out: Outbox) -> None:
        a = self._attempt_for(event)
        if a is None:
            agent = self.agents.by_leg(event.channel_id)
            if agent is not None:
                self._leg_event(agent, event, now, out)
            return
        if self.policy is not None:
            self.policy.observe(event)
        match event:
            case Answered() if a.phase is Phase.DIALING:
                a.answered_at = now
                self.stats.ring_times.append(now - a.started_at)
                out.record(AttemptAnswered(now, a.attempt_id))
                if self.config.uses_amd:
                    a.phase = Phase.ANSWERED
                    out.send(StartAmd(a.channel_id))
                else:
                    self._go_live(a, now)
            case AmdResult() if a.phase is Phase.ANSWERED:
                out.record(AmdDecided(now, a.attempt_id, event.verdict, event.cause))
                if event.verdict is AmdVerdict.MACHINE:
                    self._machine(a, now, out)
                else:
                    self._go_live(a, now)
            case DialplanSignal(name="abandon") if not a.abandoned:
                self._abandon(a, now, out, "pbx safety net")
            case HungUp() | OriginateFailed():
                self._ended(a, event.cause, now, out)

    def _leg_event(self, agent: Agent, event: CallEvent, now: float, out: Outbox) -> None:
        if isinstance(event, Answered):
            self.agents.leg_answered(agent, now, out)
        elif isinstance(event, HungUp | OriginateFailed):
            self._leg_lost(agent, now, out)

    def _leg_lost(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent's phone is gone: a customer they were on (or dialing for) is hung up."""
        call = self._attempts.get(agent.attempt_id or "")
        if call is not None and agent.state in (AgentState.ON_CALL, AgentState.RESERVED):
            out.send(Hangup(call.channel_id))
        self.agents.leg_lost(agent, now, out)

    def _go_live(self, a: Attempt, now: float) -> None:
        """A live human is on the line: start the abandon clock (bridging happens in _connect_waiting)."""
        a.phase, a.live_at = Phase.WAITING, now
        self.stats.live_answers += 1
        self.counter.record(now, live_answers=1)

    def _connect_waiting(self, now: float, out: Outbox) -> None:
        for a in sorted(self._in_phase(Phase.WAITING), key=lambda a: a.live_at):
            agent = self._agent_for(a)
            if agent is None:
                continue
            a.phase, a.bridged_at, a.agent_id = Phase.CONNECTED, now, agent.agent_id
            self.agents.set_state(agent, AgentState.ON_CALL, "", now, out)
            agent.attempt_id = a.attempt_id
            recording = f"{self.config.campaign_id}/{a.attempt_id}.wav"
            out.send(Bridge(a.channel_id, agent.leg), StartRecording(a.channel_id, recording))
            out.record(AttemptBridged(now, a.attempt_id, agent.agent_id, recording, now - a.live_at))

    def _agent_for(self, a: Attempt) -> Agent | None:
        if a.agent_id is None:
            return self.agents.longest_idle()
        agent = self.agents.agents.get(a.agent_id)  # preview: only the agent who asked
        ok = agent is not None and agent.leg_up and agent.state is AgentState.RESERVED
        return agent if ok else None

    def _machine(self, a: Attempt, now: float, out: Outbox) -> None:
        a.phase = Phase.MACHINE
        self.stats.machines += 1
        self.counter.record(now, machines=1)
        if not self.config.route_handles_machines:
            if self.config.machine_action is MachineAction.MESSAGE:
                out.send(Redirect(a.channel_id, routes.LEAVE_MESSAGE))
            else:
                out.send(Hangup(a.channel_id))

    def _abandon(self, a: Attempt, now: float, out: Outbox, reason: str) -> None:
        a.phase, a.abandoned = Phase.ABANDONING, True
        self.stats.abandons += 1
        self.counter.record(now, abandons=1)
        out.record(AttemptAbandoned(now, a.attempt_id, now - (a.live_at or now), reason))

    def _ended(self, a: Attempt, cause: int, now: float, out: Outbox, lost: bool = False) -> None:
        if a.phase is Phase.WAITING:  # a live human hung up before any agent came: count it
            self._abandon(a, now, out, "lost" if lost else "customer hung up")
        outcome = {
            Phase.DIALING: Outcome.LOST if lost else classify_unanswered(cause),
            Phase.ANSWERED: Outcome.LOST if lost else Outcome.EARLY_HANGUP,
            Phase.CONNECTED: Outcome.CONNECTED,
            Phase.MACHINE: Outcome.MACHINE,
            Phase.ABANDONING: Outcome.ABANDONED,
        }[a.phase]
        talk = now - a.bridged_at if a.bridged_at is not None else 0.0
        del self._attempts[a.attempt_id]
        del self._by_channel[a.channel_id]
        update = after_attempt(a.lead, outcome, now, self.config.lead_rules)
        out.record(AttemptEnded(now, a.attempt_id, outcome, cause, talk), LeadUpdated(now, update))
        agent = self.agents.agents.get(a.agent_id) if a.agent_id is not None else None
        if agent is None or agent.attempt_id != a.attempt_id:
            return
        if outcome is Outcome.CONNECTED:
            self.stats.talk_times.append(talk)
            self._last_call[agent.agent_id] = (a.attempt_id, replace(
                a.lead, attempts=update.attempts, callback_agent_id=None))
            self.agents.start_wrap_up(agent, now, out)
        else:  # a preview dial that did not connect
            self.agents.release(agent, now, out)

    # -- agents' desk ----------------------------------------------------------
    def _release(self, agent: Agent, now: float, out: Outbox) -> None:
        if agent.state is AgentState.WRAP_UP:
            self.stats.wrap_times.append(now - agent.since)
        self.agents.release(agent, now, out)

    def _disposition(self, event: Disposition, now: float, out: Outbox) -> None:
        last = self._last_call.get(event.agent_id)
        if last is None or last[0] != event.attempt_id:
            return
        del self._last_call[event.agent_id]
        out.record(DispositionRecorded(now, event.attempt_id, event.agent_id, event.code, event.callback_at))
        update = after_disposition(last[1], now, self.config.lead_rules, final=event.final,
                                   agent_id=event.agent_id, callback_at=event.callback_at)
        if update is not None:
            out.record(LeadUpdated(now, update))
        agent = self.agents.agents.get(event.agent_id)
        if agent is not None and agent.state is AgentState.WRAP_UP and agent.attempt_id == event.attempt_id:
            self._release(agent, now, out)

    # -- restart / reconnect -------------------------------------------------
    def _reconcile(self, live: frozenset[str], now: float, out: Outbox) -> None:
        """Calls whose channel is gone ended while we were not looking: end them, never re-dial at once."""
        for a in [a for a in self._attempts.values() if a.channel_id not in live]:
            self._ended(a, 0, now, out, lost=True)
        for agent in list(self.agents.agents.values()):
            if agent.leg is not None and agent.leg not in live:
                was_available = agent.state is AgentState.READY or agent.reason == CONNECTING
                self._leg_lost(agent, now, out)
                if was_available:
                    self.agents.make_ready(agent, now, out)

    # -- bookkeeping ---------------------------------------------------------
    def _track(self, a: Attempt) -> None:
        self._attempts[a.attempt_id] = a
        self._by_channel[a.channel_id] = a.attempt_id

    def _attempt_for(self, event: CallEvent) -> Attempt | None:
        if event.attempt_id and event.attempt_id in self._attempts:
            return self._attempts[event.attempt_id]
        return self._attempts.get(self._by_channel.get(event.channel_id, ""))

    def _in_phase(self, phase: Phase) -> list[Attempt]:
        return [a for a in self._attempts.values() if a.phase is phase]
