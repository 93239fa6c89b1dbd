"""The runner's own hand-off time and event backlog, logged the same way by both runtimes.

``bench.live`` reads two log lines, whatever the PBX: ``bridge sent channel=...
own_ms=...`` (the input that made the core bridge a customer -- AMD verdict,
answer or an agent turning ready -- taken from the PBX's event stream, to the
Bridge command leaving for the PBX) and ``event lag max_ms=...`` (the worst
delay between an event's PBX timestamp and the runner taking it, per report
period). Keeping the clock here means the AMI and ESL runners measure the same
thing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator import commands as c
from orchestrator.events import Event, Tick

log = logging.getLogger("runner")
LAG_REPORT_S = 5.0


@dataclass
class Handoff:
    """Input times per pending Bridge, and the worst event lag since the last report."""

    clock: Callable[[], float] = time.time
    input_at: float = 0.0  # wall time the input being fed was taken from its source
    lag_max: float = 0.0  # worst (taken - pbx timestamp) since the last report
    _bridge_input_at: dict[str, float] = field(default_factory=dict)  # customer channel -> input time

    def taken(self, event: Event) -> None:
        """An input is about to be fed to the core."""
        self.input_at = self.clock()
        if not isinstance(event, Tick):
            self.lag_max = max(self.lag_max, self.input_at - event.at)

    def queued(self, command: c.Command) -> None:
        """A command left the core: a Bridge remembers the input that caused it."""
        if isinstance(command, c.Bridge):
            self._bridge_input_at[command.channel_id] = self.input_at

    def sent(self, command: c.Command) -> float | None:
        """A command is being sent: for a Bridge, log and return its own hand-off time in seconds."""
        if not isinstance(command, c.Bridge):
            return None
        now = self.clock()
        took = now - self._bridge_input_at.pop(command.channel_id, now)
        log.info("bridge sent channel=%s own_ms=%.1f", command.channel_id, took * 1000)
        return took

    def report_lag(self) -> float:
        """Log the worst lag since the last report (``bench.live`` reads it) and start a new period."""
        worst, self.lag_max = self.lag_max, 0.0
        log.info("event lag max_ms=%.0f", worst * 1000)
        return worst
