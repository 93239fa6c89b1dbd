"""Test doubles for the dialer's ports, a fixed pacing policy and a small driver for event sequences."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from orchestrator.commands import Command, Endpoint, EndpointKind, Originate
from orchestrator.compliance import abandon_rate
from orchestrator.dialer import CampaignConfig, CampaignDialer, DialMode, Step
from orchestrator.dialer.facts import Fact
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.events import AgentState, Answered, Event, PbxConnected, Tick
from orchestrator.leads.model import Lead
from orchestrator.leads.rules import LeadRules
from orchestrator.node.host import NodeHost
from orchestrator.pacing.base import PacingState

# Wednesday 2026-11-25 17:00 UTC = 12:00 in New York: inside default calling hours.
T0 = 1795626000.0
NY = "+1212555{:04d}"


def ny_leads(n: int, start: int = 1) -> list[Lead]:
    return [Lead(i, NY.format(i)) for i in range(start, start + n)]


class BrakedRatio:
    """A predictable pacing policy for the dialer's tests: ``ratio`` lines per ready agent (rounded down),
    one per agent once any window the dialer handed over is at the cap (so a test sees which windows
    those are); lines in flight count as already serving an agent. It learns nothing."""

    name = "braked-ratio"

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio

    def lines_to_dial(self, state: PacingState) -> int:
        over_cap = any(abandon_rate(w) >= state.abandon_cap for w in state.windows)
        target = math.floor(state.count(AgentState.READY) * (1.0 if over_cap else self.ratio))
        return max(0, min(target - state.lines_ringing - state.customers_waiting, state.max_lines))

    def observe(self, event: object) -> None:
        """Learns nothing."""


@dataclass
class ListLeads:
    """A lead source backed by a list: claimed leads leave it (like a DB claim)."""

    leads: list[Lead]
    claims: list[int] = field(default_factory=list)
    owned: dict[int, list[Lead]] = field(default_factory=dict)  # agent id -> the records handed to them

    def claim(self, n: int, now: float) -> list[Lead]:
        self.claims.append(n)
        taken, self.leads = self.leads[:n], self.leads[n:]
        return taken

    def claim_owned(self, agent_ids: list[int], now: float) -> list[tuple[int, Lead]]:
        return [(a, self.owned[a].pop(0)) for a in agent_ids if self.owned.get(a)]


@dataclass
class SetDnc:
    numbers: set[str] = field(default_factory=set)

    def blocks(self, number: str, now: float) -> bool:
        return number in self.numbers


def counting_ids(prefix: str = "id"):
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


class Harness:
    """One campaign's dialer on a node of its own, fed as the runner feeds it (through the node)."""

    def __init__(self, mode: DialMode = DialMode.PROGRESSIVE, leads: list[Lead] | None = None,
                 dnc: set[str] | None = None, connect: bool = True, **config) -> None:
        self.policy = config.pop("policy", None)
        config.setdefault("lead_rules", LeadRules())
        self.config = CampaignConfig(campaign_id=7, mode=mode, **config)
        self.leads = ListLeads(list(leads or []))
        self.dnc = SetDnc(dnc or set())
        self.dialer = self.make_dialer()
        self.commands: list[Command] = []
        self.facts: list[Fact] = []
        if connect:
            self.feed(PbxConnected(T0, "pbx1"))

    def make_dialer(self, **kwargs) -> CampaignDialer:
        """A new dialer on a new node (a restarted runner): the harness feeds that node from now on."""
        kwargs.setdefault("ids", counting_ids())
        self.host = NodeHost()
        dialer = CampaignDialer(self.config, self.leads, self.dnc, pool=self.host.pool, policy=self.policy,
                                **kwargs)
        self.host.add(dialer)
        return dialer

    def feed(self, event: Event) -> Step:
        steps = [step for _, step in self.host.handle(event)]
        step = Step(tuple(c for s in steps for c in s.commands), tuple(f for s in steps for f in s.facts))
        self.commands.extend(step.commands)
        self.facts.extend(step.facts)
        return step

    def tick(self, at: float) -> Step:
        return self.feed(Tick(at))

    def login(self, agent_id: int, at: float = T0, answer: bool = True) -> str:
        """Log an agent in; answer their nailed-up leg. Returns the leg's channel id."""
        step = self.feed(AgentLogin(at, 7, agent_id, Endpoint(EndpointKind.SEAT, f"seat{agent_id}")))
        (leg,) = [c for c in step.commands if isinstance(c, Originate)]
        assert leg.endpoint.kind is EndpointKind.SEAT
        if answer:
            self.feed(Answered(at, leg.channel_id, leg.attempt_id))
        return leg.channel_id


def of_type(items, kind) -> list:
    return [i for i in items if isinstance(i, kind)]


def customer_originates(commands) -> list[Originate]:
    return [c for c in of_type(commands, Originate) if c.endpoint.kind is EndpointKind.TRUNK]
