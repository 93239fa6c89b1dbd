"""Commission: who earns what share of which sale, and what a refund claws back.

The model (issue 15): each sale is split by a rule's percentages to the
agent who sold it, the leader of the agent's team, the director(s) and "the
others" (the centre's support staff: a pool shared equally). A refund or a
cancellation claws back the same shares of the refunded amount, in the
period the refund happens, from the same people, under the rule that paid
the sale (so a rule changed since cannot make a refund cost more or less
than the sale earned).

Rounding, the one place it happens: every statement line (one person, one
order movement, one role) is ``amount * percent / 100 / sharers``, rounded
ROUND_HALF_UP to 0.01 (``line_amount``). Totals are sums of rounded lines, so
a statement adds up exactly to what is paid. Everything is ``Decimal``; a
float never enters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class Role(StrEnum):
    AGENT = "agent"
    LEADER = "team_leader"
    DIRECTOR = "director"
    OTHERS = "others"


@dataclass(frozen=True)
class Shares:
    """Percentages of a sale, per role (``Decimal('11')`` is 11 %)."""

    agent: Decimal
    leader: Decimal
    director: Decimal
    others: Decimal

    def __post_init__(self) -> None:
        for value in (self.agent, self.leader, self.director, self.others):
            if not value.is_finite() or not 0 <= value <= HUNDRED:
                raise ValueError("each share is a percentage from 0 to 100")
        if self.total > HUNDRED:
            raise ValueError("the shares add up to more than 100 %")

    @property
    def total(self) -> Decimal:
        return self.agent + self.leader + self.director + self.others

    def by_role(self) -> tuple[tuple[Role, Decimal], ...]:
        return ((Role.AGENT, self.agent), (Role.LEADER, self.leader), (Role.DIRECTOR, self.director),
                (Role.OTHERS, self.others))


#: 15 % of sales: 11 to the agent, 1.5 to the team leader, 1 to the director, 1.5 to the others.
DEFAULT_SHARES = Shares(Decimal("11"), Decimal("1.5"), Decimal("1"), Decimal("1.5"))


@dataclass(frozen=True)
class Rule:
    """Shares in force from ``first`` to ``last`` (inclusive; None: open), for one product, one
    campaign, or (both None) every sale."""

    shares: Shares
    first: date
    last: date | None = None
    product_id: int | None = None
    campaign_id: int | None = None

    def covers(self, day: date, product_id: int | None, campaign_id: int | None) -> bool:
        return (
            self.first <= day
            and (self.last is None or day <= self.last)
            and self.product_id in (None, product_id)
            and self.campaign_id in (None, campaign_id)
        )

    @property
    def specificity(self) -> tuple[bool, bool, date]:
        """A product's rule beats a campaign's, which beats the general one; then the latest start."""
        return (self.product_id is not None, self.campaign_id is not None, self.first)


def rule_for(rules: Iterable[Rule], day: date, product_id: int | None, campaign_id: int | None) -> Shares:
    """The most specific rule covering a sale of that day, product and campaign; else the default."""
    covering = [r for r in rules if r.covers(day, product_id, campaign_id)]
    return max(covering, key=lambda r: r.specificity).shares if covering else DEFAULT_SHARES


class Kind(StrEnum):
    SALE = "sale"
    REFUND = "refund"  # a cancellation is a refund of what was left


@dataclass(frozen=True)
class Movement:
    """Money that moved on one order: a sale (positive) or a refund (its amount, positive too).

    ``sold_on`` picks the rule (a refund uses its sale's); ``day`` is when it
    counts (the period it falls into).
    """

    order_id: int
    kind: Kind
    day: date
    sold_on: date
    amount: Decimal
    agent: int | None  # people are user ids
    leader: int | None
    product_id: int | None = None
    campaign_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Staff:
    """Who shares the director's and the others' parts (each part split equally among its people)."""

    directors: Sequence[int]
    others: Sequence[int]


class Line(NamedTuple):
    """One role's part of one movement, paid to each of ``persons`` (a pool shares it equally, each
    person's amount rounded on its own); a tuple, shared by the pool's statements: a month makes
    hundreds of thousands of them."""

    persons: tuple[int, ...]
    role: Role
    movement: Movement
    percent: Decimal  # of the movement, for each person (the role's share over its sharers)
    amount: Decimal  # each person's; negative for a clawback


def line_amount(base: Decimal, percent: Decimal, sharers: int) -> Decimal:
    """THE rounding rule: ``base * percent / 100 / sharers``, ROUND_HALF_UP to the cent."""
    return (base * percent / HUNDRED / sharers).quantize(CENT, rounding=ROUND_HALF_UP)


def lines(movements: Iterable[Movement], rules: Sequence[Rule], staff: Staff) -> list[Line]:
    """Every statement line the movements make, in movement order then role order.

    A role with nobody in it (an agent in no team has no leader; a centre
    without a director) pays nobody: its share is not redistributed.
    """
    out = []
    directors, others = tuple(staff.directors), tuple(staff.others)
    chosen: dict[tuple[date, int | None, int | None], Shares] = {}  # rules repeat: look each up once
    for m in movements:
        key = (m.sold_on, m.product_id, m.campaign_id)
        shares = chosen.get(key) or chosen.setdefault(key, rule_for(rules, *key))
        sign = 1 if m.kind is Kind.SALE else -1
        people: dict[Role, tuple[int, ...]] = {
            Role.AGENT: (m.agent,) if m.agent is not None else (),
            Role.LEADER: (m.leader,) if m.leader is not None else (),
            Role.DIRECTOR: directors,
            Role.OTHERS: others,
        }
        for role, share in shares.by_role():
            persons = people[role]
            if persons and share:
                n = len(persons)
                out.append(Line(persons, role, m, share / n, sign * line_amount(m.amount, share, n)))
    return out


@dataclass(frozen=True)
class Statement:
    """One person's month: sales commission, clawbacks, and what is paid (their sum)."""

    person: int
    lines: tuple[Line, ...]

    @cached_property
    def _sums(self) -> tuple[Decimal, Decimal]:
        earned = clawed = Decimal("0.00")
        for line in self.lines:
            if line.amount > 0:
                earned += line.amount
            else:
                clawed -= line.amount
        return earned, clawed

    @property
    def earned(self) -> Decimal:
        return self._sums[0]

    @property
    def clawed_back(self) -> Decimal:
        return self._sums[1]

    @property
    def payable(self) -> Decimal:
        return self._sums[0] - self._sums[1]


def statements(all_lines: Iterable[Line], people: Iterable[int] | None = None) -> dict[int, Statement]:
    """Lines grouped per person (``people``: only those, each even with no line, e.g. a month off)."""
    grouped: dict[int, list[Line]] = defaultdict(list)
    wanted = None if people is None else set(people)
    for line in all_lines:
        for person in line.persons:
            if wanted is None or person in wanted:
                grouped[person].append(line)
    for person in wanted or ():
        grouped.setdefault(person, [])
    return {p: Statement(p, tuple(ls)) for p, ls in sorted(grouped.items())}
