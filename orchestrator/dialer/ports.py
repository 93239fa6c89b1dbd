"""What the core needs from outside, as Protocols (the runner backs them with the DB).

Tests back them with plain lists and sets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from orchestrator.leads.model import Lead

#: Makes attempt ids and channel ids (valid as both; uuid4 in production).
IdFactory = Callable[[], str]


def uuid_ids() -> str:
    return str(uuid.uuid4())


class LeadSource(Protocol):
    def claim(self, n: int, now: float) -> Sequence[Lead]:
        """Claim up to ``n`` leads due at ``now`` for this campaign (e.g. FOR UPDATE SKIP LOCKED).

        A claimed lead is the core's until it emits a ``LeadUpdated`` for it:
        the source must not hand it out again before that (across nodes too).
        Records handed out to an agent are not in this pool in a progressive
        campaign (see :meth:`claim_owned`).
        """
        ...

    def claim_owned(self, agent_ids: Sequence[int], now: float) -> Sequence[tuple[int, Lead]]:
        """For each of these agents, at most one due lead handed out to that agent, as (agent, lead).

        Progressive: an agent's own records are dialed for that agent only (the
        core reserves the agent for the call, as for a preview). Claimed as :meth:`claim`.
        """
        ...


class DncList(Protocol):
    def blocks(self, number: str, now: float) -> bool:
        """True if ``number`` must not be dialed (checked right before every dial)."""
        ...


@dataclass(frozen=True, slots=True)
class OpenAttempt:
    """An attempt the store shows as started but not ended: handed to a restarted core.

    On the next ``PbxConnected`` it is kept if its channel is live, ended
    (``Outcome.FAILED``, retried after the rules' delay, never at once) if not.
    """

    attempt_id: str
    channel_id: str
    lead: Lead
    started_at: float
    agent_id: int | None = None  # preview: the agent; else the agent it was bridged to
    # Milestones the store recorded (from AttemptAnswered / AmdDecided / AttemptBridged facts):
    answered_at: float | None = None
    live_at: float | None = None  # human verdict (or answer without AMD)
    bridged_at: float | None = None
    seen_at: float | None = None  # the last moment the call is known to have been alive (None: unknown)
    abandoned: bool = False  # sent to the abandon message (AttemptAbandoned): counted once, already
