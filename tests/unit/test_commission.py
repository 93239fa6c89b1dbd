"""Commission arithmetic against statements computed by hand (issue 15), refunds and rounding included.

The month: November 2026. Staff: director 100; the others 200, 201, 202 (the 1.5 % pool is shared by 3).
Rules: product 7 paid 20/2/1/0 in October; campaign 3 pays 10/2/1/2 from November 1st; else 11/1.5/1/1.5.

movement (agent, leader)               rule         agent          leader         director      each other
sale 1 1000.00, campaign 3 (10, 20)    campaign 3   100.00         20.00          10.00         6.67 (6.666.)
sale 2 12.50, campaign 4 (10, 20)      default      1.38 (1.375)   0.19 (.1875)   0.13 (.125)   0.06 (.0625)
refund 200.00 of an Oct. sale of
    product 7 (10, 21)                 product 7    -40.00         -4.00          -2.00         none (0 %)
sale 3 100.00 (11, no team)            default      11.00          none           1.00          0.50

The director's 0.125 -> 0.13 is where ROUND_HALF_UP differs from banker's rounding (0.12).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from orchestrator.sales.commission import (
    DEFAULT_SHARES,
    Kind,
    Movement,
    Role,
    Rule,
    Shares,
    Staff,
    line_amount,
    lines,
    rule_for,
    statements,
)

NOV = date(2026, 11, 3)
RULES = [
    Rule(Shares(D(20), D(2), D(1), D(0)), date(2026, 10, 1), date(2026, 10, 31), product_id=7),
    Rule(Shares(D(10), D(2), D(1), D(2)), date(2026, 11, 1), campaign_id=3),
]
STAFF = Staff(directors=[100], others=[200, 201, 202])
MOVES = [
    Movement(1, Kind.SALE, NOV, NOV, D("1000.00"), agent=10, leader=20, product_id=5, campaign_id=3),
    Movement(2, Kind.SALE, date(2026, 11, 4), date(2026, 11, 4), D("12.50"), 10, 20, 5, 4),
    Movement(0, Kind.REFUND, date(2026, 11, 20), date(2026, 10, 15), D("200.00"), 10, 21, 7, 3),
    Movement(3, Kind.SALE, NOV, NOV, D("100.00"), agent=11, leader=None),
]


def _month() -> dict:
    return statements(lines(MOVES, RULES, STAFF))


def test_each_persons_statement_matches_the_hand_computed_one():
    month = _month()
    expected = {  # person: (earned, clawed back, payable)
        10: (D("101.38"), D("40.00"), D("61.38")),
        11: (D("11.00"), D("0.00"), D("11.00")),
        20: (D("20.19"), D("0.00"), D("20.19")),
        21: (D("0.00"), D("4.00"), D("-4.00")),  # a refund after a leader's good month can go negative
        100: (D("11.13"), D("2.00"), D("9.13")),
        200: (D("7.23"), D("0.00"), D("7.23")),
        201: (D("7.23"), D("0.00"), D("7.23")),
        202: (D("7.23"), D("0.00"), D("7.23")),
    }
    assert {p: (s.earned, s.clawed_back, s.payable) for p, s in month.items()} == expected


def test_the_lines_say_which_rule_and_role_paid_each_amount():
    agent = [(x.movement.order_id, x.role, x.percent, x.amount) for x in _month()[10].lines]
    assert agent == [
        (1, Role.AGENT, D(10), D("100.00")),
        (2, Role.AGENT, D(11), D("1.38")),
        (0, Role.AGENT, D(20), D("-40.00")),  # clawed back under the rule of the sale's month
    ]
    other = _month()[200].lines
    first = other[0]
    share = first.percent.quantize(D("0.0001"))
    assert (first.role, share, first.amount) == (Role.OTHERS, D("0.6667"), D("6.67"))


def test_rounding_is_half_up_to_the_cent_per_line():
    assert line_amount(D("12.50"), D(1), 1) == D("0.13")  # 0.125: half up, not half even
    assert line_amount(D("12.50"), D("1.5"), 3) == D("0.06")  # 0.0625
    assert line_amount(D("0.01"), D("11"), 1) == D("0.00")  # 0.0011
    assert line_amount(D("10000000000.00"), D(100), 1) == D("10000000000.00")
    # The statement's total is the sum of its rounded lines, so it is exactly what is paid out.
    month = _month()
    total = sum((x.amount for s in month.values() for x in s.lines), D(0))
    # 61.38 + 11 + 20.19 - 4 + 9.13 + 3 x 7.23
    assert total == sum((s.payable for s in month.values()), D(0)) == D("119.39")


def test_a_product_rule_beats_a_campaign_rule_and_a_rule_only_covers_its_period():
    both = [*RULES, Rule(Shares(D(5), D(1), D(1), D(1)), date(2026, 11, 1), product_id=9)]
    assert rule_for(both, NOV, 9, 3).agent == D(5)
    assert rule_for(both, NOV, 8, 3).agent == D(10)
    assert rule_for(both, date(2026, 10, 31), 8, 3) == DEFAULT_SHARES
    assert rule_for(both, date(2026, 10, 31), 7, 3).agent == D(20)
    assert rule_for([], NOV, None, None) == DEFAULT_SHARES
    assert DEFAULT_SHARES.total == D(15)


def test_a_full_refund_in_the_same_month_nets_to_zero():
    sale = Movement(4, Kind.SALE, NOV, NOV, D("333.33"), 10, 20)
    back = Movement(4, Kind.REFUND, date(2026, 11, 9), NOV, D("333.33"), 10, 20)
    month = statements(lines([sale, back], [], STAFF))
    assert {p: s.payable for p, s in month.items()} == dict.fromkeys((10, 20, 100, 200, 201, 202), D("0.00"))
    assert month[10].earned == month[10].clawed_back == D("36.67")  # 36.6663


def test_people_asked_for_get_a_statement_even_without_lines():
    month = statements(lines(MOVES, RULES, STAFF), people=[10, 999])
    assert set(month) == {10, 999}
    assert month[999].payable == D("0.00")
    assert month[999].lines == ()


@pytest.mark.parametrize(
    "shares", [(D(90), D(10), D(1), D(0)), (D(-1), D(0), D(0), D(0)), (D("NaN"), D(0), D(0), D(0))]
)
def test_impossible_shares_are_refused(shares):
    with pytest.raises(ValueError, match=r"share|percentage"):
        Shares(*shares)
