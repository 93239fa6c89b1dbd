"""Running outcome statistics the pacing policy learns from (bounded, recent history only)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from orchestrator.pacing.base import OutcomeStats

KEEP = 500  # recent durations kept per kind


@dataclass(slots=True)
class StatsRecorder:
    dials: int = 0
    live_answers: int = 0
    machines: int = 0
    abandons: int = 0
    ring_times: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP))
    talk_times: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP))
    wrap_times: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP))

    def snapshot(self) -> OutcomeStats:
        return OutcomeStats(self.dials, self.live_answers, self.machines, self.abandons,
                            tuple(self.ring_times), tuple(self.talk_times), tuple(self.wrap_times))
