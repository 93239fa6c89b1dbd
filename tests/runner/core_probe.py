"""The production ``NodeCore`` with its PBX side replaced by the list of commands it would send."""

from __future__ import annotations

from orchestrator import commands as c
from runner.node import NodeCore


class Core(NodeCore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[c.Command] = []

    def enqueue(self, command: c.Command) -> None:
        self.sent.append(command)
