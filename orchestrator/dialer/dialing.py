"""Placing customer calls: how many lines (per mode), which leads, the checks before each dial.

* progressive: one line per READY agent, minus the lines that may still need
  one (ringing, awaiting AMD, waiting), so lines never outnumber ready agents;
* predictive: the campaign's :class:`PacingPolicy` decides from a
  :class:`PacingState`;
* preview: never by itself, only when an agent asks (:meth:`LineDialer.preview`).

Every count is capped by the campaign's ``max_lines``, by its trunk's free
lines on the node (``orchestrator.node.trunks``: other campaigns' calls,
remote agents' legs and inbound callers on the trunk count too) and by
``max_originates_per_tick`` (the node sustains ~20 originates/s with AMD; at
100/s Asterisk locked up). Every claimed lead passes DNC, max attempts, the
abandon quiet period and its calling hours right before its Originate, or is
handed back with a ``LeadUpdated`` saying when it may be tried again.

After a node refusal (``orchestrator.leads.outcomes.node_refused``: the PBX
could not place the call, e.g. while it restarts) the dialer holds its lines
(:class:`DialHold`) for a growing interval, so a burst of refusals cannot
turn into a burst of dials; the first call the node does place, or its
reconnect, lifts the hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from orchestrator import safe
from orchestrator.agents.pool import Agent
from orchestrator.backoff import Backoff
from orchestrator.commands import Endpoint, EndpointKind, Originate
from orchestrator.compliance import AbandonCounter
from orchestrator.dialer import routes
from orchestrator.dialer.agents import AgentBoard
from orchestrator.dialer.attempts import Attempt, CallBook, Phase
from orchestrator.dialer.config import CampaignConfig, DialMode
from orchestrator.dialer.facts import AttemptStarted, LeadUpdated, PacingExplained
from orchestrator.dialer.inputs import PreviewDial
from orchestrator.dialer.ports import DncList, IdFactory, LeadSource
from orchestrator.dialer.stats import StatsRecorder
from orchestrator.events import AgentState
from orchestrator.leads.model import Lead, LeadUpdate
from orchestrator.leads.rules import check_before_dial, release
from orchestrator.leads.status import LeadStatus
from orchestrator.node.trunks import TrunkLines
from orchestrator.pacing.base import PacingExplanation, PacingPolicy, PacingState
from orchestrator.step import Outbox

#: How long the dialer holds after node refusals: 1 s, doubling per round of refusals, at most a minute.
REFUSAL_BACKOFF = Backoff(initial=1.0, maximum=60.0)


@dataclass
class DialHold:
    """No new lines until ``until``: the node refused calls; the hold grows while it keeps refusing.

    A *round* is the dials sent since the hold was last set: refusals of calls dialed
    before that (one burst refused together) do not grow it again, so the interval
    doubles once per round, not once per refused call.
    """

    rng: random.Random
    backoff: Backoff = REFUSAL_BACKOFF
    rounds: int = 0
    set_at: float | None = None
    until: float = 0.0

    def refused(self, dialed_at: float, now: float) -> None:
        if self.set_at is not None and dialed_at < self.set_at:
            return  # same round as the refusal that set the hold
        self.until = now + self.backoff.delay(self.rounds, self.rng)
        self.rounds += 1
        self.set_at = now

    def lift(self) -> None:
        """The node placed a call (or reconnected): dial at once again."""
        self.rounds, self.set_at, self.until = 0, None, 0.0

    def holds(self, now: float) -> bool:
        return now < self.until

EXPLAIN_EVERY_S = 60.0  # a standing explanation is refreshed this often (its numbers move)


@dataclass
class LineDialer:
    config: CampaignConfig
    leads: LeadSource
    dnc: DncList
    ids: IdFactory
    policy: PacingPolicy | None
    agents: AgentBoard
    calls: CallBook
    counter: AbandonCounter
    stats: StatsRecorder
    hold: DialHold
    trunks: TrunkLines | None = None  # the node's trunk line budget (None: only max_lines caps)
    _explained: tuple[float, tuple[str, ...]] | None = None  # last PacingExplained: when, why

    def pacing_state(self, now: float) -> PacingState:
        """What the policy sees: the same fields the simulator fills, so what is benchmarked dials.

        Calls awaiting AMD count as ringing (not yet known to need agents) and are
        also counted in ``lines_answered``; ringing lines carry their dial times,
        from which the policy's ring hazard estimates who will still answer.
        """
        calls = self.calls.all()
        return PacingState(
            now=now, agents=self.agents.views(now),
            lines_ringing=sum(a.phase in (Phase.DIALING, Phase.ANSWERED) for a in calls),
            customers_waiting=sum(a.phase is Phase.WAITING for a in calls),
            abandon_cap=self.config.abandon_cap, windows=self.counter.windows(now),
            stats=self.stats.snapshot(), max_lines=self.room(),
            lines_answered=sum(a.phase is Phase.ANSWERED for a in calls),
            ring_started=tuple(a.started_at for a in calls if a.phase is Phase.DIALING))

    def dial(self, now: float, out: Outbox) -> None:
        c = self.config
        if c.mode is DialMode.PREVIEW or self.hold.holds(now):
            return
        if c.mode is DialMode.PROGRESSIVE or self.policy is None:
            wanted = len(self.agents.ready()) - self.calls.in_flight()
        else:
            wanted = self.policy.lines_to_dial(self.pacing_state(now))
            self._explain(now, out)
        n = min(wanted, self.room(), c.max_originates_per_tick)
        if n > 0 and c.mode is DialMode.PROGRESSIVE:
            n -= self._dial_owned(n, now, out)
        if n > 0:
            for lead in self.leads.claim(n, now):
                self.originate(lead, None, now, out)

    def room(self) -> int:
        """New lines the campaign may open now: its own ``max_lines`` left, and its trunk's free lines."""
        own = max(0, self.config.max_lines - len(self.calls))
        c = self.config
        free = self.trunks.free(c.trunk, c.trunk_limit) if self.trunks is not None else None
        return own if free is None else min(own, free)

    def _dial_owned(self, n: int, now: float, out: Outbox) -> int:
        """Progressive: the ``n`` longest-ready agents' own records first, each dialed with its owner
        reserved (the call can only go to them); returns the lines used. The other ready agents stay
        for the pool calls already in flight, and an agent with nothing of their own left gets the pool.
        """
        ready = [a.agent_id for a in sorted(self.agents.ready(), key=lambda a: (a.since, a.agent_id))[:n]]
        used = 0
        for agent_id, lead in self.leads.claim_owned(ready, now) if ready else ():
            agent = self.agents.agents.get(agent_id)
            if agent is None or agent_id not in ready:  # not one asked for: nobody may take the call
                out.record(LeadUpdated(now, release(lead, now, self.config.lead_rules, "owner not ready")))
            elif self._dial_for(agent, lead, "own record", now, out) is not None:
                used += 1
        return used

    def _explain(self, now: float, out: Outbox) -> None:
        """Tell the supervisor why (``PacingExplained``) when the reasons change or a minute passed."""
        explain = getattr(self.policy, "explain", None)
        explanation: PacingExplanation | None = explain() if explain is not None else None
        if explanation is None:
            return
        reasons = tuple(r.value for r in explanation.reasons)
        last = self._explained
        if last is not None and last[1] == reasons and now - last[0] < EXPLAIN_EVERY_S:
            return
        self._explained = (now, reasons)
        out.record(PacingExplained(now, self.config.campaign_id, reasons, explanation.text()))

    def preview(self, event: PreviewDial, connected: bool, now: float, out: Outbox) -> None:
        agent = self.agents.agents.get(event.agent_id)
        if not connected or agent is None or agent.state is not AgentState.READY:
            out.record(LeadUpdated(now, release(event.lead, now, self.config.lead_rules, "agent not ready")))
            return
        if self.room() <= 0:  # the trunk (or the campaign) has no free line: the carrier would refuse
            full = release(event.lead, now, self.config.lead_rules, "no free trunk line")
            out.record(LeadUpdated(now, full))
            return
        self._dial_for(agent, event.lead, "preview", now, out)

    def _dial_for(self, agent: Agent, lead: Lead, reason: str, now: float, out: Outbox) -> Attempt | None:
        """Dial ``lead`` for this READY agent only: reserved until the call ends or fails to connect."""
        self.agents.set_state(agent, AgentState.RESERVED, reason, now, out)
        attempt = self.originate(lead, agent, now, out)
        if attempt is None:
            self.agents.set_state(agent, AgentState.READY, "", now, out)
        else:
            agent.attempt_id = attempt.attempt_id
        return attempt

    def originate(self, lead: Lead, agent: Agent | None, now: float, out: Outbox) -> Attempt | None:
        """Dial ``lead`` if the rules allow it now; else release or end the lead (and return None)."""
        c = self.config
        refusal = check_before_dial(lead, now, c.lead_rules, self.dnc.blocks(lead.number, now))
        if refusal is not None:
            out.record(LeadUpdated(now, refusal))
            return None
        a = Attempt(self.ids(), self.ids(), lead, now, agent_id=agent.agent_id if agent else None)
        try:
            command = self._command(a)
        except safe.UnsafeValue as error:  # a number no PBX should see: never dial it
            invalid = LeadUpdate(lead.lead_id, LeadStatus.INVALID, lead.attempts, reason=str(error))
            out.record(LeadUpdated(now, invalid))
            return None
        self.calls.add(a)
        self.stats.dials += 1
        out.send(command)
        out.record(AttemptStarted(now, a.attempt_id, c.campaign_id, lead.lead_id, a.channel_id, lead.number,
                                  a.agent_id, command.caller_id))
        return a

    def _command(self, a: Attempt) -> Originate:
        c = self.config
        variables = {routes.VAR_CAMPAIGN: str(c.campaign_id), routes.VAR_LEAD: str(a.lead.lead_id),
                     routes.VAR_AMD: "yes" if c.uses_amd else "no",
                     routes.VAR_AMD_ACTION: c.machine_action.value}
        for name, value in ((routes.VAR_MESSAGE_SOUND, c.message_sound),
                            (routes.VAR_ABANDON_SOUND, c.abandon_sound)):
            if value:
                variables[name] = value
        endpoint = Endpoint(EndpointKind.TRUNK, c.trunk, a.lead.number)
        return Originate(a.attempt_id, a.channel_id, endpoint, routes.OUTBOUND, c.caller_id,
                         c.ring_timeout_s, variables)

