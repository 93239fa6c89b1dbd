"""Scorecard arithmetic: weights, scales, N.A., critical items failing the call, calibration spread,
and a form version surviving its JSON round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrator.quality import scorecard as sc

GREETING = sc.Item("i1", "Greets by name", Decimal(10))
CONSENT = sc.Item("i2", "Asks for recording consent", Decimal(20), critical=True)
TONE = sc.Item("i3", "Tone", Decimal(30), sc.Kind.SCALE, scale_max=5)
UPSELL = sc.Item("i4", "Offers the upgrade", Decimal(40), allows_na=True)
FORM = sc.Form((sc.Section("Opening", (GREETING, CONSENT)), sc.Section("Body", (TONE, UPSELL))))


def test_weights_scales_and_na():
    full = sc.score(FORM, {"i1": "yes", "i2": "yes", "i3": "5", "i4": "yes"})
    assert full.percent == Decimal("100.00")
    assert not full.failed
    # 0 + 20 + 30*3/5 = 38 earned of 10 + 20 + 30 = 60 possible (the upsell did not apply).
    part = sc.score(FORM, {"i1": "no", "i2": "yes", "i3": "3", "i4": "na"})
    assert (part.earned, part.possible, part.percent) == (Decimal(38), Decimal(60), Decimal("63.33"))
    only_na = sc.Form((sc.Section("S", (UPSELL,)),))
    assert sc.score(only_na, {"i4": "NA"}).percent == Decimal(100)


def test_a_critical_item_fails_the_whole_call():
    result = sc.score(FORM, {"i1": "yes", "i2": "no", "i3": "5", "i4": "yes"})
    assert result.failed
    assert result.failed_critical == ("i2",)
    assert result.percent == 0
    assert result.earned == Decimal(80)  # what it would have earned stays known


@pytest.mark.parametrize(("answers", "message"), [
    ({"i1": "yes", "i2": "yes", "i3": "5"}, "is not answered"),
    ({"i1": "maybe", "i2": "yes", "i3": "5", "i4": "yes"}, "answer yes or no"),
    ({"i1": "yes", "i2": "yes", "i3": "6", "i4": "yes"}, "from 0 to 5"),
    ({"i1": "yes", "i2": "yes", "i3": "-1", "i4": "yes"}, "from 0 to 5"),
    ({"i1": "na", "i2": "yes", "i3": "5", "i4": "yes"}, "cannot be N.A."),
])
def test_bad_answers_name_the_item(answers, message):
    with pytest.raises(sc.FormError, match=message):
        sc.score(FORM, answers)


def test_items_refuse_bad_weights_and_scales():
    with pytest.raises(sc.FormError, match="weight"):
        sc.Item("k", "Q", Decimal(0))
    with pytest.raises(sc.FormError, match="weight"):
        sc.Item("k", "Q", Decimal("NaN"))
    with pytest.raises(sc.FormError, match="scale"):
        sc.Item("k", "Q", Decimal(1), sc.Kind.SCALE, scale_max=11)
    with pytest.raises(sc.FormError, match="question"):
        sc.Item("k", " ", Decimal(1))


def test_building_a_draft_and_the_json_round_trip():
    form = sc.add_section(sc.Form(()), "Opening")
    with pytest.raises(sc.FormError, match="add a section first"):
        sc.add_item(sc.Form(()), 0, GREETING)
    with pytest.raises(sc.FormError, match="at least one item"):
        form.check_publishable()
    form = sc.add_item(form, 0, GREETING)
    assert sc.next_key(form) == "i2"
    form = sc.add_item(form, 0, CONSENT)
    assert sc.from_json(sc.to_json(form)) == form
    assert [i.key for i in sc.remove_item(form, "i1").items()] == ["i2"]
    with pytest.raises(sc.FormError, match="no such item"):
        sc.remove_item(form, "i9")


def test_calibration_spread():
    assert sc.spread([]) is None
    s = sc.spread([Decimal(80), Decimal(90), Decimal(100)])
    assert s is not None
    assert (s.count, s.low, s.high, s.range, s.mean, s.stdev) == (
        3, Decimal(80), Decimal(100), Decimal(20), Decimal("90.00"), Decimal("8.16"))
    one = sc.spread([Decimal(75)])
    assert one is not None
    assert one.stdev == 0
    assert one.range == 0
