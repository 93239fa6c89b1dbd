"""Sample size, the sample verdict and the destruction rule and certificate chain (pure core)."""

from __future__ import annotations

from datetime import date

import pytest

from orchestrator.leads.destruction import (
    GENESIS,
    BatchState,
    DestroyReason,
    broken_links,
    certificate_digest,
    destroy_reason,
)
from orchestrator.leads.sampling import SampleCounts, Thresholds, judge, sample_size


@pytest.mark.parametrize(
    ("population", "expected"),
    # Cochran with finite-population correction, ±5 % at 95 %: n0 = 1.96² · 0.25 / 0.05² = 384.15.
    [(0, 0), (1, 1), (50, 45), (200, 132), (1_000, 278), (10_000, 370), (100_000, 383), (10**9, 385)],
)
def test_sample_size_at_five_percent_and_95_percent(population, expected):
    assert sample_size(population) == expected


def test_a_tighter_margin_or_higher_confidence_needs_more_records():
    assert sample_size(10_000, margin=0.03) == 965
    assert sample_size(10_000, confidence=0.99) == 623  # z = 2.576: 663.5 / 1.0662
    assert sample_size(10_000, margin=0.05, p=0.1) < sample_size(10_000)


@pytest.mark.parametrize("kwargs", [{"margin": 0}, {"margin": 1.5}, {"confidence": 1}, {"p": 0}])
def test_impossible_parameters_are_refused(kwargs):
    with pytest.raises(ValueError, match="between 0 and 1"):
        sample_size(100, **kwargs)
    with pytest.raises(ValueError, match="fewer than 0"):
        sample_size(-1)


GOOD = SampleCounts(size=370, dialed=370, valid=330, connected=150, right_party=100, dnc=3)


def test_a_good_sample_passes_with_its_rates():
    verdict = judge(GOOD, Thresholds())
    assert verdict.accepted
    assert verdict.complete
    assert verdict.reasons == ()
    assert verdict.rates.valid == pytest.approx(330 / 370)
    assert verdict.rates.connect == pytest.approx(150 / 370)
    assert verdict.rates.right_party == pytest.approx(100 / 150)
    assert verdict.rates.dnc == pytest.approx(3 / 370)


def test_every_failing_threshold_is_named():
    poor = SampleCounts(size=370, dialed=370, valid=200, connected=50, right_party=10, dnc=40)
    verdict = judge(poor, Thresholds())
    assert not verdict.accepted
    assert [r.split(" ")[0] for r in verdict.reasons] == ["valid-number", "connect", "right-party", "DNC"]
    assert "54.1% is below 80.0%" in verdict.reasons[0]
    assert "10.8% is above 5.0%" in verdict.reasons[3]


def test_a_sample_not_dialed_far_enough_is_not_judged_good():
    half = SampleCounts(size=370, dialed=185, valid=185, connected=100, right_party=80, dnc=0)
    verdict = judge(half, Thresholds())
    assert not verdict.accepted
    assert not verdict.complete
    assert verdict.reasons == ("only 185 of the 370 sample records needed were dialed",)
    assert judge(half, Thresholds(min_dialed_share=0.5)).accepted


def test_an_empty_sample_has_zero_rates_and_fails():
    verdict = judge(SampleCounts(0, 0, 0, 0, 0, 0), Thresholds())
    assert not verdict.accepted
    assert verdict.rates.valid == 0.0


TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (BatchState(0, 0, None, False), DestroyReason.USED_UP),
        (BatchState(5, 0, date(2026, 12, 3), False), DestroyReason.EXPIRED),
        (BatchState(5, 0, date(2026, 12, 4), False), "5 records are still to be dialed"),
        (BatchState(5, 0, None, True), DestroyReason.REJECTED),
        (BatchState(0, 2, date(2020, 1, 1), True), "2 records are being dialed right now"),
    ],
)
def test_when_a_batch_may_be_destroyed(state, expected):
    reason = destroy_reason(state, TODAY)
    if isinstance(expected, DestroyReason):
        assert reason is expected
    else:
        assert isinstance(reason, str)
        assert not isinstance(reason, DestroyReason)
        assert reason.startswith(expected)


def test_the_certificate_chain_shows_an_edited_or_removed_certificate():
    facts = [{"records": 100, "by": "lead1"}, {"records": 50, "by": "dm"}, {"records": 7, "by": "lead2"}]
    chain, previous = [], GENESIS
    for f in facts:
        digest = certificate_digest(previous, f)
        chain.append((previous, digest, f))
        previous = digest
    assert broken_links(chain) == []
    edited = [chain[0], (chain[1][0], chain[1][1], {"records": 5, "by": "dm"}), chain[2]]
    assert broken_links(edited) == [1]
    assert broken_links([chain[0], chain[2]]) == [1]  # one removed: the next no longer follows
    assert certificate_digest(GENESIS, {"a": 1, "b": 2}) == certificate_digest(GENESIS, {"b": 2, "a": 1})
