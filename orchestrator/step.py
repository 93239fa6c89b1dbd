"""What one input to the core decides: PBX commands to send and facts to persist.

Every unit a node hosts (``orchestrator.node``) and the dialer inside a
campaign speak this one currency, so the runner sends and stores the same way
whatever produced a step. It lives apart from any one unit so that the node
and the agent pool can use it without importing a unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.commands import Command


@dataclass(frozen=True, slots=True)
class Fact:
    """Something that happened at ``at`` (epoch seconds), for the runner to persist."""

    at: float


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one input: send ``commands`` in order, persist ``facts`` in order."""

    commands: tuple[Command, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass(slots=True)
class Outbox:
    """Collects what one ``handle`` call decides, in order."""

    commands: list[Command] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def send(self, *commands: Command) -> None:
        self.commands.extend(commands)

    def record(self, *facts: Fact) -> None:
        self.facts.extend(facts)

    def step(self) -> Step:
        return Step(tuple(self.commands), tuple(self.facts))
