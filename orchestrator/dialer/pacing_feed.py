"""The core's facts -> the pacing policy's observations (``orchestrator.pacing.base``).

Learning policies (``PredictivePolicy``) learn from ``DialOutcome``,
``Connected``, ``Abandoned``, ``TalkEnded`` and ``WrapEnded``; raw PBX events
mean nothing to them. Those observations follow from the facts a dialer emits,
so they are derived in this one place: the live dialer (``CampaignDialer``)
feeds every step's facts here, and the simulator emits the same facts for its
simulated calls, so the benchmark measures exactly what the live dialer learns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orchestrator.dialer import facts as f
from orchestrator.events import AgentState, AmdVerdict
from orchestrator.leads.outcomes import Outcome
from orchestrator.pacing.base import (
    Abandoned,
    CallResult,
    Connected,
    DialOutcome,
    Observation,
    PacingPolicy,
    TalkEnded,
    WrapEnded,
)

_NO_ANSWER = (Outcome.NO_ANSWER,)
_CONNECTED = (Outcome.CONNECTED,)


@dataclass
class PacingFeed:
    policy: PacingPolicy
    uses_amd: bool
    _started: dict[str, float] = field(default_factory=dict)  # attempt -> dial time
    _answered: dict[str, float] = field(default_factory=dict)
    _wrap_since: dict[int, float] = field(default_factory=dict)  # agent -> wrap-up start

    def feed(self, facts: Iterable[f.Fact]) -> None:
        for fact in facts:
            for observation in self._observations(fact):
                self.policy.observe(observation)

    def _observations(self, fact: f.Fact) -> list[Observation]:
        match fact:
            case f.AttemptStarted():
                self._started[fact.attempt_id] = fact.at
            case f.AttemptAnswered():
                self._answered[fact.attempt_id] = fact.at
                if not self.uses_amd:
                    return [self._outcome(fact.attempt_id, CallResult.LIVE, fact.at)]
            case f.AmdDecided():
                result = CallResult.MACHINE if fact.verdict is AmdVerdict.MACHINE else CallResult.LIVE
                return [self._outcome(fact.attempt_id, result, fact.at)]
            case f.AttemptBridged():
                return [Connected(fact.at, fact.waited_s)]
            case f.AttemptAbandoned():
                return [Abandoned(fact.at)]
            case f.AttemptEnded(outcome=Outcome.REFUSED):  # the node's failure, not a dial the policy made
                self._started.pop(fact.attempt_id, None)
            case f.AttemptEnded():
                return self._ended(fact)
            case f.AgentStatus():
                return self._wrap(fact)
        return []

    def _ended(self, fact: f.AttemptEnded) -> list[Observation]:
        out: list[Observation] = []
        if fact.attempt_id in self._started:  # its fate was not known before
            result = CallResult.NO_ANSWER if fact.outcome in _NO_ANSWER else CallResult.FAILED
            out.append(self._outcome(fact.attempt_id, result, fact.at))
        self._answered.pop(fact.attempt_id, None)
        if fact.outcome in _CONNECTED:
            out.append(TalkEnded(fact.at, fact.talk_s))
        return out

    def _wrap(self, fact: f.AgentStatus) -> list[Observation]:
        """A wrap-up's length, observed when the agent leaves WRAP_UP."""
        since = self._wrap_since.pop(fact.agent_id, None)
        if fact.state is AgentState.WRAP_UP:
            self._wrap_since[fact.agent_id] = fact.at
        elif since is not None:
            return [WrapEnded(fact.at, fact.at - since)]
        return []

    def _outcome(self, attempt_id: str, result: CallResult, at: float) -> DialOutcome:
        started = self._started.pop(attempt_id, at)
        answered = self._answered.get(attempt_id, at)
        return DialOutcome(at, result, ring_s=answered - started, setup_s=at - started)
