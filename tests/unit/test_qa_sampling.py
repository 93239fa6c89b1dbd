"""QA sampling: fair (each agent within ±1 call of the policy) over a simulated month, always holding
complaints and big sales, stratified in proportion, and the same draw for the same team and week."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from orchestrator.quality.sampling import Candidate, Policy, PolicyError, allocate, draw, week_of

OUTCOMES = ("connected", "connected", "connected", "voicemail", "abandoned")
POLICY = Policy(per_agent=5, short_s=30, long_s=180, sale_above=Decimal("5000"),
                complaint_codes=frozenset({"COMPLAINT"}), due_days=3)


def simulated_week(rng: random.Random, week: date, next_id: int) -> list[Candidate]:
    """One team of 8: agents taking 20 to 150 answered calls a week; about 1 in 200 a complaint,
    1 in 300 a sale above 5000, a fifth of the calls sales below it."""
    calls = []
    for agent in range(1, 9):
        for _ in range(rng.randint(20, 150)):
            disposition, amount = "", Decimal(0)
            roll = rng.random()
            if roll < 0.005:
                disposition = "COMPLAINT"
            elif roll < 0.008:
                disposition, amount = "SALE", Decimal(rng.randint(5001, 20000))
            elif roll < 0.2:
                disposition, amount = "SALE", Decimal(rng.randint(50, 4999))
            calls.append(Candidate(next_id, agent, rng.choice(OUTCOMES), int(rng.expovariate(1 / 90)),
                                   disposition, amount))
            next_id += 1
    return calls


def test_every_agent_gets_the_policy_within_one_call_over_a_simulated_month():
    rng = random.Random(14)
    first = date(2026, 11, 2)  # a Monday; four and a half weeks of November
    per_agent_month: Counter[int] = Counter()
    next_id = 1
    for w in range(5):
        week = first + timedelta(weeks=w)
        calls = simulated_week(rng, week, next_id)
        next_id += len(calls)
        result = draw(POLICY, 7, week + timedelta(days=3), calls)
        assert result.week == week
        assert result.due_on == week + timedelta(days=9)
        counts = result.per_agent()
        assert set(counts) == set(range(1, 9))  # nobody is left out
        for agent, n in counts.items():
            assert abs(n - POLICY.per_agent) <= 1, (week, agent, n)
            per_agent_month[agent] += n
        mandatory = {c.call_id for c in calls
                     if c.disposition == "COMPLAINT" or c.sale_amount > Decimal("5000")}
        picked = {p.call_id: p for p in result.picks}
        assert mandatory <= set(picked)  # complaints and big sales always
        assert all(picked[c].reason in ("complaint", "sale") for c in mandatory)
        assert len(picked) == len(result.picks)  # no call twice
        own = {c.call_id: c.agent_id for c in calls}
        assert all(own[p.call_id] == p.agent_id for p in result.picks)
    # Over the month nobody drifts either: within one call a week of the policy.
    for n in per_agent_month.values():
        assert abs(n - 5 * POLICY.per_agent) <= 5


def test_the_same_team_and_week_draw_the_same_calls_and_another_week_others():
    rng = random.Random(3)
    week = date(2026, 11, 9)
    calls = simulated_week(rng, week, 1)
    once = draw(POLICY, 7, week, calls)
    assert draw(POLICY, 7, week + timedelta(days=6), list(reversed(calls))) == once  # any day, any order
    assert draw(POLICY, 8, week, calls).picks != once.picks  # another team's seed
    # One agent's calls changing leaves a colleague's sample as it was (a seed per agent).
    fewer = [c for c in calls if not (c.agent_id == 1 and c.call_id % 2)]
    assert [p for p in draw(POLICY, 7, week, fewer).picks if p.agent_id == 2] == \
        [p for p in once.picks if p.agent_id == 2]


def test_the_random_part_is_spread_over_strata_in_proportion():
    calls = [Candidate(i, 1, "connected", 10) for i in range(60)]  # 60 short
    calls += [Candidate(100 + i, 1, "connected", 300) for i in range(30)]  # 30 long
    calls += [Candidate(200 + i, 1, "voicemail", 60) for i in range(10)]  # 10 voicemail, medium
    result = draw(Policy(per_agent=10), 1, date(2026, 11, 9), calls)
    assert Counter(p.stratum for p in result.picks) == {"connected/short": 6, "connected/long": 3,
                                                        "voicemail/medium": 1}
    assert allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}  # ties by name
    assert allocate({"a": 2}, 5) == {"a": 2}


def test_an_agent_with_few_calls_gives_them_all_and_complaints_beyond_the_quota_stay():
    few = [Candidate(i, 1, "connected", 40) for i in range(3)]
    assert {p.call_id for p in draw(Policy(per_agent=5), 1, date(2026, 11, 9), few).picks} == {0, 1, 2}
    angry = [Candidate(i, 2, "connected", 40, "COMPLAINT") for i in range(7)]
    angry += [Candidate(10 + i, 2, "connected", 40) for i in range(20)]
    picks = draw(Policy(per_agent=5), 1, date(2026, 11, 9), angry).picks
    assert [p.reason for p in picks] == ["complaint"] * 7


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"per_agent": -1}, "calls per agent"),
    ({"per_agent": 51}, "calls per agent"),
    ({"short_s": 200, "long_s": 100}, "talk-time bands"),
    ({"sale_above": Decimal("-1")}, "sale amount"),
    ({"due_days": 61}, "days to score"),
])
def test_a_policy_that_cannot_apply_says_which_field(kwargs, message):
    with pytest.raises(PolicyError, match=message):
        Policy(**kwargs)


def test_weeks_start_on_monday():
    assert week_of(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert week_of(date(2026, 11, 30)) == date(2026, 11, 30)
