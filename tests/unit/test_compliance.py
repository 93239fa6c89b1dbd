"""Rolling 24 h / 30-day abandon counters, US and UK formulas."""

import pytest

from orchestrator.compliance import DAY, AbandonCounter, Bucket, ComplianceProfile, abandon_rate


def test_us_rate_is_abandons_over_live_answers_per_window():
    c = AbandonCounter()
    c.record(0.0, live_answers=50, abandons=1)
    c.record(10 * DAY, live_answers=100, abandons=2)
    day, month = c.windows(10 * DAY + 60)
    assert (day.seconds, day.abandons, day.live_answers) == (DAY, 2, 100)
    assert (month.abandons, month.live_answers) == (3, 150)
    assert abandon_rate(day) == pytest.approx(0.02)
    assert abandon_rate(month) == pytest.approx(0.02)


def test_counts_leave_the_window_when_they_age_out():
    c = AbandonCounter()
    c.record(0.0, live_answers=10, abandons=1)
    assert c.windows(DAY - 120)[0].abandons == 1
    day, month = c.windows(DAY + 120)
    assert (day.abandons, month.abandons) == (0, 1)
    assert c.windows(31 * DAY)[1].live_answers == 0
    assert c.buckets() == ()


def test_uk_counts_estimated_amd_false_positives_on_both_sides():
    c = AbandonCounter(ComplianceProfile.UK, amd_false_positive_rate=0.1)
    c.record(0.0, live_answers=90, abandons=1, machines=100)
    day = c.windows(60.0)[0]
    assert day.amd_false_positives_estimate == pytest.approx(10.0)
    assert abandon_rate(day) == pytest.approx(11 / 100)
    us = AbandonCounter(ComplianceProfile.US, amd_false_positive_rate=0.1)
    us.record(0.0, live_answers=90, abandons=1, machines=100)
    assert abandon_rate(us.windows(60.0)[0]) == pytest.approx(1 / 90)


def test_no_answers_means_zero_rate():
    assert abandon_rate(AbandonCounter().windows(0.0)[0]) == 0.0


def test_buckets_round_trip_for_persistence_and_merge_per_minute():
    c = AbandonCounter()
    c.record(100.0, live_answers=1)
    c.record(110.0, abandons=1)
    c.record(200.0, machines=2)
    assert c.buckets() == (Bucket(60.0, 1, 1, 0), Bucket(180.0, 0, 0, 2))
    other = AbandonCounter()
    other.restore(reversed(c.buckets()))
    assert other.windows(300.0) == c.windows(300.0)


def test_a_late_record_counts_in_the_newest_bucket():
    c = AbandonCounter()
    c.record(500.0, live_answers=1)
    c.record(100.0, abandons=1)
    assert c.buckets() == (Bucket(480.0, 1, 1, 0),)
