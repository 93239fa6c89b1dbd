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


# -- the profiles -----------------------------------------------------------------------------

from datetime import time  # noqa: E402

from orchestrator.compliance import HOUR, PROFILES, rules_for  # noqa: E402
from orchestrator.dialer.config import CampaignConfig, DialMode  # noqa: E402
from orchestrator.leads.rules import AttemptLimit  # noqa: E402


def test_every_profile_has_its_rules_in_one_table():
    assert set(PROFILES) == set(ComplianceProfile) == {"us", "uk", "fr", "cn"}
    us, uk, fr, cn = (rules_for(p) for p in ("us", "uk", "fr", "cn"))
    assert (us.abandon_cap, us.abandon_window_s, us.abandon_message_after_s) == (0.03, 30 * DAY, 2.0)
    assert us.calling_hours.days[6] == ((time(8), time(21)),)
    assert (uk.abandon_window_s, uk.counts_amd_false_positives) == (DAY, True)
    assert uk.min_abandon_no_recall_s == 72 * HOUR
    assert fr.calling_hours.days[2] == ((time(10), time(13)), (time(14), time(20)))
    assert fr.calling_hours.weekdays == frozenset(range(5))
    assert fr.attempt_limit == AttemptLimit(4, 30 * DAY)
    assert cn.min_recording_retention_days == 30
    assert cn.calling_hours.days[0] == ((time(9), time(20)),)


def test_a_campaign_is_held_to_its_profiles_floors():
    uk = rules_for("uk")
    assert uk.cap(0.05) == 0.03
    assert uk.cap(0.01) == 0.01
    assert uk.cap(float("nan")) == 0.03
    assert uk.no_recall_s(3600.0) == 72 * HOUR
    assert uk.no_recall_s(100 * HOUR) == 100 * HOUR
    assert uk.windows(None) == (DAY,)
    assert uk.windows(30 * DAY) == (DAY, 30 * DAY)
    assert rules_for("us").windows(9e15) == (30 * DAY,)  # clamped into what the counter keeps


def test_the_counter_reports_only_the_enforced_window_so_the_brake_holds_that_one():
    """A US campaign over 3 % on the last day but under it over 30 days may keep dialing;
    a UK campaign with the same counts is over its cap."""
    counts = [(0.0, 1000, 10), (29 * DAY, 100, 5)]  # 15/1100 = 1.4 % over 30 days; 5 % today
    for profile, over in (("us", False), ("uk", True)):
        config = CampaignConfig(1, DialMode.PREDICTIVE, compliance=ComplianceProfile(profile),
                                abandon_windows=rules_for(profile).windows(None))
        c = config.abandon_counter()
        for at, live, abandons in counts:
            c.record(at, live_answers=live, abandons=abandons)
        (window,) = c.windows(29 * DAY + 60)
        assert window.seconds == rules_for(profile).abandon_window_s
        assert (abandon_rate(window) >= 0.03) is over
        assert len(c.buckets()) == 2  # the 30 days are kept whatever the profile enforces


def test_the_brake_acts_on_the_profiles_window():
    """The same counts: a US campaign keeps its ratio, a UK one falls back to one line per agent."""
    from dialer_harness import BrakedRatio

    from orchestrator.events import AgentState
    from orchestrator.pacing.base import AgentView, PacingState

    agents = tuple(AgentView(i, AgentState.READY, 0.0) for i in range(4))
    lines = {}
    for profile in ("us", "uk"):
        config = CampaignConfig(1, DialMode.PREDICTIVE, compliance=ComplianceProfile(profile),
                                abandon_windows=rules_for(profile).windows(None))
        c = config.abandon_counter()
        c.record(0.0, live_answers=1000, abandons=10)
        c.record(29 * DAY, live_answers=100, abandons=5)
        state = PacingState(29 * DAY + 60, agents, 0, 0, 0.03, windows=c.windows(29 * DAY + 60))
        lines[profile] = BrakedRatio(1.5).lines_to_dial(state)
    assert lines == {"us": 6, "uk": 4}
