"""Customer call progress: answer, AMD verdict, handoff to an agent, abandon, end.

Handoff: on a HUMAN/NOTSURE verdict (or on answer without AMD, e.g. preview)
the customer starts *waiting*; :meth:`CallFlow.connect_waiting` bridges every
waiting customer, oldest first, to the longest-idle READY agent's nailed-up
leg and starts the recording. It runs after every input, so a customer is
bridged the moment an agent frees up.

The regulators' 2 seconds run from the end of the customer's greeting, not
from the verdict: a detector says HUMAN only after it has heard some silence
after the greeting (Asterisk's ``AMD()`` says how much in its cause,
``HUMAN-<silence ms>-<after greeting ms>``). So the clock (``live_at``) starts
at the greeting's end, and whoever is still waiting ``abandon_deadline_s``
later is redirected to the abandon message by the core's tick (see
``core.py``), leaving the message the time it needs to start.

A live human who hangs up while waiting counts as an abandon (the
conservative reading of the US and UK rules), so does one lost with the PBX.

Dispositions: an agent may classify a call while still talking (the form is
on their screen from the bridge on). The core keeps that disposition and
applies it when the call ends, because only then is the call's own lead
update known, which the disposition amends (a callback, a recycle). The last
one given wins; a disposition after the end applies at once, also when the
runner restarted in between (the runner hands over the lead as stored) or the
campaign has stopped (the runner applies :func:`disposition_facts` itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from orchestrator.agents.pool import Agent
from orchestrator.amd import Cadence, MachineAction
from orchestrator.commands import Hangup, Redirect, StartAmd, StartRecording
from orchestrator.compliance import AbandonCounter
from orchestrator.dialer import routes
from orchestrator.dialer.agents import AgentBoard
from orchestrator.dialer.attempts import Attempt, CallBook, Phase
from orchestrator.dialer.config import CampaignConfig
from orchestrator.dialer.dialing import DialHold
from orchestrator.dialer.facts import (
    AmdDecided,
    AttemptAbandoned,
    AttemptAnswered,
    AttemptBridged,
    AttemptEnded,
    AttemptUnbridged,
    CallTransferred,
    ComplianceCounted,
    DispositionRecorded,
    LeadUpdated,
)
from orchestrator.dialer.inputs import Disposition, TransferCall
from orchestrator.dialer.stats import StatsRecorder
from orchestrator.events import (
    AgentState,
    AmdResult,
    AmdVerdict,
    Answered,
    CallEvent,
    DialplanSignal,
    HungUp,
    OriginateFailed,
    Ringing,
    VoiceDetected,
)
from orchestrator.leads.model import Lead
from orchestrator.leads.outcomes import Outcome, classify_unanswered, node_refused
from orchestrator.leads.rules import LeadRules, after_attempt, after_disposition, release
from orchestrator.quality.survey import Surveys, bridge
from orchestrator.step import Fact, Outbox

_NOT_YET_CONNECTED = (Phase.DIALING, Phase.ANSWERED, Phase.WAITING)


@dataclass
class CallFlow:
    config: CampaignConfig
    agents: AgentBoard
    calls: CallBook
    counter: AbandonCounter
    stats: StatsRecorder
    hold: DialHold  # the dialer's: node refusals set it, a placed call lifts it
    #: agent id -> (attempt id, lead as updated by that call): the call a disposition may classify.
    last_call: dict[int, tuple[str, Lead]] = field(default_factory=dict)
    #: agent id -> the disposition they gave while their call was still up (applied at its end).
    early: dict[int, Disposition] = field(default_factory=dict)
    #: Customers kept on the line for the satisfaction survey after their call ended.
    surveys: Surveys = field(default_factory=Surveys)

    def on_event(self, a: Attempt, event: CallEvent, now: float, out: Outbox) -> None:
        match event:
            case Ringing():
                a.rang = True
                self.hold.lift()
            case Answered() if a.phase is Phase.DIALING:
                self._answered(a, now, out)
            case AmdResult() if a.phase in (Phase.DIALING, Phase.ANSWERED):
                # From DIALING only if the answer was missed (e.g. it happened while the runner restarted).
                a.answered_at = a.answered_at if a.answered_at is not None else now
                self.decide(a, event.verdict, event.cause, now, out)
            case VoiceDetected() if a.phase is Phase.ANSWERED:
                self._voice(a, event, now, out)
            case AmdResult(verdict=AmdVerdict.MACHINE) if a.phase in (Phase.WAITING, Phase.CONNECTED):
                self._late_machine(a, event.cause, now, out)
            case DialplanSignal(name="abandon") if a.phase in _NOT_YET_CONNECTED:
                self._safety_net(a, now, out)
            case OriginateFailed():
                self.end(a, event.cause, now, out, placed=event.placed)
            case HungUp():
                self.end(a, event.cause, now, out)

    def _answered(self, a: Attempt, now: float, out: Outbox) -> None:
        a.rang = True
        self.hold.lift()
        a.answered_at = now
        self.stats.ring_times.append(now - a.started_at)
        out.record(AttemptAnswered(now, a.attempt_id))
        if self.config.uses_amd:
            a.phase = Phase.ANSWERED
            out.send(StartAmd(a.channel_id))
        else:
            self.go_live(a, now, out)

    def _voice(self, a: Attempt, event: VoiceDetected, now: float, out: Outbox) -> None:
        """FreeSWITCH's greeting cadence: the core's classifier decides from the voice/silence reports."""
        if a.cadence is None:  # ANSWERED: answered_at is set
            a.cadence = Cadence(a.answered_at or now, self.config.cadence, resumed=a.restored)
        decision = a.cadence.feed(event)
        if decision is not None:
            self.decide(a, decision.verdict, decision.cause, now, out)

    def _safety_net(self, a: Attempt, now: float, out: Outbox) -> None:
        """The route's own safety-net timer fired (runner late or restarting): a live human got no agent.

        A customer whose agent left the bridge also passes through sb-abandon: that one was
        connected, not abandoned (the caller's phase guard leaves it out).
        """
        if a.phase is not Phase.WAITING:  # we missed the answer/verdict: count the live answer
            self.go_live(a, now, out)
        self.abandon(a, now, out, "pbx safety net")

    def decide(self, a: Attempt, verdict: AmdVerdict, cause: str, now: float, out: Outbox) -> None:
        out.record(AmdDecided(now, a.attempt_id, verdict, cause))
        if verdict is AmdVerdict.MACHINE:
            self._machine(a, now, out)
        elif verdict is AmdVerdict.HUMAN:
            self.go_live(a, now, out, since=now - greeting_silence_s(cause, self.config))
        else:
            self.go_live(a, now, out)

    def _late_machine(self, a: Attempt, cause: str, now: float, out: Outbox) -> None:
        """A machine found after the HUMAN/NOTSURE verdict (FreeSWITCH: avmd hears its beep).

        The call is treated as the machine it is: the campaign's machine action
        (hang up, or the message after the beep) and a machine in the counts.
        The live answer counted at the first verdict stays counted: the call was
        handled as a live person until now (waiting or with an agent), and the
        counters only ever add. An agent already on it is freed at once (to READY,
        not wrap-up: there is nothing to classify) rather than kept until the
        message has played.
        """
        out.record(AmdDecided(now, a.attempt_id, AmdVerdict.MACHINE, cause))
        agent = self.agents.agents.get(a.agent_id) if a.agent_id is not None else None
        if a.phase is Phase.CONNECTED and agent is not None and agent.attempt_id == a.attempt_id:
            agent.attempt_id = None
            self.agents.release(agent, now, out)
        self._machine(a, now, out, late=True)

    def go_live(self, a: Attempt, now: float, out: Outbox, since: float | None = None) -> None:
        """A live human is on the line: the abandon clock runs from ``since`` (greeting end) or now."""
        a.phase, a.live_at = Phase.WAITING, now if since is None else min(now, since)
        self.stats.live_answers += 1
        self._count(now, out, live_answers=1)

    def _count(self, now: float, out: Outbox, **counts: int) -> None:
        self.counter.record(now, **counts)
        out.record(ComplianceCounted(now, self.config.campaign_id, **counts))

    def unbridged(self, a: Attempt, now: float, out: Outbox) -> None:
        """A connected call the PBX shows in no bridge: the customer waits for an agent from now.

        Any free agent takes it, even one dialed for a given agent (preview, own records): a
        customer on the line is better served by the next agent than by an abandon. The agent
        the store names never had the customer; if this run has them on it, they are freed.
        """
        agent = self.agents.agents.get(a.agent_id) if a.agent_id is not None else None
        if agent is not None and agent.attempt_id == a.attempt_id:
            agent.attempt_id = None
            self.agents.release(agent, now, out)
        a.phase, a.live_at, a.bridged_at, a.agent_id = Phase.WAITING, now, None, None
        out.record(AttemptUnbridged(now, a.attempt_id))

    def connect_waiting(self, now: float, out: Outbox) -> None:
        for a in sorted(self.calls.in_phase(Phase.WAITING), key=lambda a: a.live_at or 0.0):
            agent = self._agent_for(a)
            if agent is None or agent.leg is None:
                continue
            a.phase, a.bridged_at, a.agent_id = Phase.CONNECTED, now, agent.agent_id
            self.agents.set_state(agent, AgentState.ON_CALL, "", now, out)
            agent.attempt_id = a.attempt_id
            out.send(*bridge(self.config.survey, a.channel_id, agent.leg))
            recording = ""
            if self.config.record_calls:
                recording = f"{self.config.campaign_id}/{a.attempt_id}.wav"
                out.send(StartRecording(a.channel_id, recording))
            out.record(AttemptBridged(now, a.attempt_id, agent.agent_id, recording, now - (a.live_at or now)))

    def _agent_for(self, a: Attempt) -> Agent | None:
        if a.agent_id is None:
            return self.agents.longest_idle()
        agent = self.agents.agents.get(a.agent_id)  # preview: only the agent who asked
        ok = agent is not None and agent.leg_up and agent.state is AgentState.RESERVED
        return agent if ok else None

    def _machine(self, a: Attempt, now: float, out: Outbox, late: bool = False) -> None:
        """Count the machine; act on it unless the route already does (it never does after a bridge)."""
        a.phase = Phase.MACHINE
        self.stats.machines += 1
        self._count(now, out, machines=1)
        if late or not self.config.route_handles_machines:
            if self.config.machine_action is MachineAction.MESSAGE:
                out.send(Redirect(a.channel_id, routes.LEAVE_MESSAGE))
            else:
                out.send(Hangup(a.channel_id))

    def abandon(self, a: Attempt, now: float, out: Outbox, reason: str) -> None:
        a.phase, a.abandoned = Phase.ABANDONING, True
        self.stats.abandons += 1
        self._count(now, out, abandons=1)
        out.record(AttemptAbandoned(now, a.attempt_id, now - (a.live_at or now), reason))

    def end(self, a: Attempt, cause: int, now: float, out: Outbox, lost: bool = False,
            placed: bool = True, ended_at: float | None = None) -> None:
        """The customer's channel is gone (``lost``: it vanished while we were not looking).

        A node refusal (``placed=False``, or a cause of our node's, before any ringing)
        is not the customer's: the lead goes back due at once with no attempt counted,
        and the dialer holds its lines. ``ended_at``: when it ended if not ``now`` (a lost
        call: the last moment it was known alive); its talk time runs to then, while its
        lead is rescheduled from ``now``.
        """
        if a.phase is Phase.DIALING and not lost and node_refused(cause, placed=placed, rang=a.rang):
            self.calls.remove(a)
            self.hold.refused(a.started_at, now)
            out.record(AttemptEnded(now, a.attempt_id, Outcome.REFUSED, cause),
                       LeadUpdated(now, release(a.lead, now, self.config.lead_rules, "node refused")))
            self._release_preview_agent(a, now, out)
            return
        if a.phase is Phase.DIALING and not lost:
            self.hold.lift()  # the node placed this call: the customer's network answered for it
        if a.phase is Phase.WAITING:
            self.abandon(a, now, out, "lost" if lost else "customer hung up")
        outcome = {
            Phase.DIALING: Outcome.LOST if lost else classify_unanswered(cause),
            Phase.ANSWERED: Outcome.LOST if lost else Outcome.EARLY_HANGUP,
            Phase.CONNECTED: Outcome.CONNECTED,
            Phase.MACHINE: Outcome.MACHINE,
            Phase.ABANDONING: Outcome.ABANDONED,
        }[a.phase]
        ended_at = now if ended_at is None else ended_at
        talk = ended_at - a.bridged_at if a.bridged_at is not None else 0.0
        self.calls.remove(a)
        update = after_attempt(a.lead, outcome, now, self.config.lead_rules)
        out.record(AttemptEnded(ended_at, a.attempt_id, outcome, cause, talk), LeadUpdated(now, update))
        if outcome is not Outcome.CONNECTED:
            self._release_preview_agent(a, now, out)
            return
        agent = self.agents.agents.get(a.agent_id) if a.agent_id is not None else None
        if agent is not None and agent.attempt_id == a.attempt_id:
            self.stats.talk_times.append(talk)
            lead = replace(a.lead, attempts=update.attempts, callback_agent_id=None)
            self.last_call[agent.agent_id] = (a.attempt_id, lead)
            self.agents.start_wrap_up(agent, now, out)
            early = self.early.pop(agent.agent_id, None)
            if early is not None and early.attempt_id == a.attempt_id:
                self.dispose(early, now, out)

    def _release_preview_agent(self, a: Attempt, now: float, out: Outbox) -> None:
        """A preview dial that did not connect gives its agent back."""
        agent = self.agents.agents.get(a.agent_id) if a.agent_id is not None else None
        if agent is not None and agent.attempt_id == a.attempt_id:
            self.agents.release(agent, now, out)

    def dispose(self, d: Disposition, now: float, out: Outbox) -> None:
        """Apply the agent's disposition to their ended call, or keep it until their call ends.

        Anything else (another agent's call, a call already classified) is ignored.
        """
        last = self.last_call.get(d.agent_id)
        agent = self.agents.agents.get(d.agent_id)
        if last is not None and last[0] == d.attempt_id:
            del self.last_call[d.agent_id]
            out.record(*disposition_facts(d, last[1], self.config.lead_rules, now))
        else:
            call = self.calls.find(d.attempt_id, "")
            if (agent is not None and agent.attempt_id == d.attempt_id and call is not None
                    and call.phase is Phase.CONNECTED):
                self.early[d.agent_id] = d
                return
            if call is not None or d.lead is None:
                return
            # An ended call this dialer does not remember (the runner restarted since): its lead as stored.
            out.record(*disposition_facts(d, d.lead, self.config.lead_rules, now))
        if agent is not None and agent.state is AgentState.WRAP_UP and agent.attempt_id == d.attempt_id:
            self.release(agent, now, out)

    def release(self, agent: Agent, now: float, out: Outbox) -> None:
        """End the agent's wrap-up (timer, disposition or "ready")."""
        if agent.state is AgentState.WRAP_UP:
            self.stats.wrap_times.append(now - agent.since)
        self.agents.release(agent, now, out)

    def leg_event(self, agent: Agent, event: CallEvent, now: float, out: Outbox) -> None:
        if isinstance(event, Answered):
            self.agents.leg_answered(agent, now, out)
        elif isinstance(event, DialplanSignal) and event.name == routes.SIGNAL_CONFIRMED:
            self.agents.leg_confirmed(agent, now, out)
        elif isinstance(event, HungUp | OriginateFailed):
            self.leg_lost(agent, now, out)

    def leg_lost(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent's phone is gone: a customer they were on (or dialing for) is hung up, or goes
        to the survey."""
        call = self.calls.find(agent.attempt_id, "")
        if call is not None and agent.state in (AgentState.ON_CALL, AgentState.RESERVED):
            self.agent_left(call, now, out)
        self.agents.leg_lost(agent, now, out)

    def end_call(self, agent_id: int, now: float, out: Outbox) -> None:
        """The agent ends their connected call from the panel (their phone stays on hold)."""
        agent = self.agents.agents.get(agent_id)
        call = self.calls.find(agent.attempt_id, "") if agent is not None else None
        if agent is not None and agent.state is AgentState.ON_CALL and call is not None:
            self.agent_left(call, now, out)

    def transfer(self, request: TransferCall, now: float, out: Outbox) -> None:
        """A blind transfer of the agent's connected customer (``orchestrator.node.transfer``): the
        call is the target's from now on (their disposition is the call's; it ends in their wrap-up);
        the first agent's early disposition, if any, is dropped (their part is kept by the web)."""
        agent = self.agents.agents[request.agent_id]
        a = self.calls.find(agent.attempt_id, "")
        done = (self.agents.hand_over(request.agent_id, request.to_agent_id, a.channel_id, now, out)
                if a is not None and a.phase is Phase.CONNECTED else None)
        if a is None or done is None:
            self.agents.transfer_failed(request, now, out)
            return
        a.agent_id = request.to_agent_id
        self.early.pop(request.agent_id, None)
        out.record(CallTransferred(now, request.request_id, request.agent_id, request.to_agent_id,
                                   attempt_id=a.attempt_id))

    def agent_left(self, a: Attempt, now: float, out: Outbox) -> None:
        """The agent's side of ``a`` ended: a connected customer of a campaign with a survey stays on
        the line for it (the call ends here: talk time, wrap-up); anyone else is hung up."""
        config, agent_id = self.config.survey, a.agent_id
        if config is None or a.phase is not Phase.CONNECTED or agent_id is None:
            out.send(Hangup(a.channel_id))
            return
        self.end(a, 16, now, out)
        self.surveys.offer(a.channel_id, a.attempt_id, agent_id, config, now, out,
                           campaign_id=self.config.campaign_id)


def disposition_facts(d: Disposition, lead: Lead, rules: LeadRules, now: float) -> list[Fact]:
    """What an agent's disposition of an ended call records: its code, and the lead it reschedules.

    One definition for the dialer that remembers the call and for a campaign no
    longer dialing on the node (the runner applies it with the stored lead).
    """
    facts: list[Fact] = [DispositionRecorded(now, d.attempt_id, d.agent_id, d.code, d.callback_at)]
    update = after_disposition(lead, now, rules, final=d.final, agent_id=d.agent_id,
                               callback_at=d.callback_at)
    if update is not None:
        facts.append(LeadUpdated(now, update))
    return facts


def greeting_silence_s(cause: str, config: CampaignConfig) -> float:
    """How long the greeting had ended when the detector said HUMAN.

    Asterisk's ``AMD()`` gives it in the cause (``HUMAN-800-800``: 800 ms of
    silence heard); otherwise the route's configured after-greeting silence.
    """
    parts = cause.split("-")
    if len(parts) == 3 and parts[0] == "HUMAN" and parts[1].isdigit():
        return min(int(parts[1]), 5000) / 1000.0
    return config.amd_verdict_lag_s
