"""Collects what one ``handle`` call decides: PBX commands and facts to persist."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.commands import Command
from orchestrator.dialer.facts import Fact


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one input: send ``commands`` in order, persist ``facts`` in order."""

    commands: tuple[Command, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass(slots=True)
class Outbox:
    commands: list[Command] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def send(self, *commands: Command) -> None:
        self.commands.extend(commands)

    def record(self, *facts: Fact) -> None:
        self.facts.extend(facts)

    def step(self) -> Step:
        return Step(tuple(self.commands), tuple(self.facts))
