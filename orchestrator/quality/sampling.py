"""Which calls a team's QA sample holds for a week: stratified, reproducible and fair.

Why it is shaped like this (issue 14):

* Fair: every agent of the team gets the policy's number of calls (fewer only when they took
  fewer), so no agent is judged on more or fewer calls than a colleague. The quota is per agent,
  never per team, so a busy agent does not crowd a quiet one out of the sample.
* Always: complaints and sales above the policy's amount are in the sample whatever the draw;
  they count toward the agent's quota first (an agent with more of them than the quota gets all
  of them: a complaint is never left unheard for the sake of a round number).
* Stratified: the rest of the quota is spread over the agent's calls by stratum (outcome and
  talk-time band), in proportion to each stratum's size (largest remainder), so a sample is not
  all short calls when most calls are short but some are long.
* Reproducible: the draw is seeded from the team, the week and the agent with SHA-256 (Python's
  ``hash`` changes per process), and candidates are ordered by call id before drawing, so drawing
  the same week again gives the same calls; the seed per agent keeps one agent's sample unchanged
  when a colleague's calls change.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

MAX_PER_AGENT = 50


class PolicyError(ValueError):
    """A policy that cannot be applied; the message says which field and why."""


@dataclass(frozen=True)
class Policy:
    """How one team is sampled.

    ``short_s``/``long_s`` split talk time into three bands (short below ``short_s``, long from
    ``long_s``); ``sale_above``: a sale larger than this is always sampled (None: none is);
    ``complaint_codes``: disposition codes that mark a complaint; ``due_days``: days after the
    week's last day by which the sample is to be scored.
    """

    per_agent: int = 4
    short_s: int = 30
    long_s: int = 180
    sale_above: Decimal | None = None
    complaint_codes: frozenset[str] = frozenset({"COMPLAINT"})
    due_days: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.per_agent <= MAX_PER_AGENT:
            raise PolicyError(f"calls per agent per week: from 0 to {MAX_PER_AGENT}")
        if not 0 <= self.short_s < self.long_s <= 86_400:
            raise PolicyError("talk-time bands: 0 ≤ short < long ≤ 86400 seconds")
        if self.sale_above is not None and (not self.sale_above.is_finite() or self.sale_above < 0):
            raise PolicyError("the sale amount is a non-negative number")
        if not 0 <= self.due_days <= 60:
            raise PolicyError("days to score: from 0 to 60")

    def band(self, talk_s: int) -> str:
        if talk_s < self.short_s:
            return "short"
        return "long" if talk_s >= self.long_s else "medium"


@dataclass(frozen=True)
class Candidate:
    """One answered call an agent took in the week, as the sampler needs it."""

    call_id: int
    agent_id: int
    outcome: str
    talk_s: int
    disposition: str = ""
    sale_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class Pick:
    call_id: int
    agent_id: int
    reason: str  # "complaint", "sale", or "random"
    stratum: str  # "<outcome>/<band>"


@dataclass(frozen=True)
class Draw:
    week: date  # the Monday
    due_on: date
    picks: tuple[Pick, ...] = field(default_factory=tuple)

    def per_agent(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for pick in self.picks:
            counts[pick.agent_id] += 1
        return dict(counts)


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week: samples are per Monday-to-Sunday week."""
    return day - timedelta(days=day.weekday())


def seed_for(team_id: int, week: date, agent_id: int) -> int:
    digest = hashlib.sha256(f"qa-sample:{team_id}:{week.isoformat()}:{agent_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _mandatory(policy: Policy, c: Candidate) -> str:
    if c.disposition in policy.complaint_codes:
        return "complaint"
    if policy.sale_above is not None and c.sale_amount > policy.sale_above:
        return "sale"
    return ""


def allocate(sizes: dict[str, int], wanted: int) -> dict[str, int]:
    """Split ``wanted`` over strata in proportion to their sizes (largest remainder, ties by name).

    No stratum gets more than it holds; ``wanted`` larger than the total gives every stratum all.
    """
    total = sum(sizes.values())
    if wanted >= total:
        return dict(sizes)
    if wanted <= 0:
        return dict.fromkeys(sizes, 0)
    exact = {k: Decimal(wanted * n) / total for k, n in sizes.items()}
    shares = {k: int(v) for k, v in exact.items()}
    left = wanted - sum(shares.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - shares[k]), k))[:left]:
        shares[k] += 1
    return shares


def _agent_picks(policy: Policy, team_id: int, week: date, agent_id: int,
                 calls: Sequence[Candidate]) -> list[Pick]:
    ordered = sorted(calls, key=lambda c: c.call_id)
    picks = [Pick(c.call_id, agent_id, why, f"{c.outcome}/{policy.band(c.talk_s)}")
             for c in ordered if (why := _mandatory(policy, c))]
    strata: dict[str, list[Candidate]] = defaultdict(list)
    for c in ordered:
        if not _mandatory(policy, c):
            strata[f"{c.outcome}/{policy.band(c.talk_s)}"].append(c)
    rng = random.Random(seed_for(team_id, week, agent_id))  # noqa: S311 - a fair draw, not a secret
    shares = allocate({k: len(v) for k, v in strata.items()}, policy.per_agent - len(picks))
    for stratum in sorted(strata):
        for c in rng.sample(strata[stratum], shares[stratum]):
            picks.append(Pick(c.call_id, agent_id, "random", stratum))
    return picks


def draw(policy: Policy, team_id: int, day: date, calls: Iterable[Candidate]) -> Draw:
    """The sample of ``team_id`` for the week holding ``day``, from the week's candidate calls."""
    week = week_of(day)
    by_agent: dict[int, list[Candidate]] = defaultdict(list)
    for c in calls:
        by_agent[c.agent_id].append(c)
    picks: list[Pick] = []
    for agent_id in sorted(by_agent):
        picks += _agent_picks(policy, team_id, week, agent_id, by_agent[agent_id])
    return Draw(week, week + timedelta(days=6 + policy.due_days), tuple(picks))
