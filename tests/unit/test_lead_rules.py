"""Lead rules: outcome classification, retry schedule, abandon quiet period, DNC, calling hours."""

from datetime import UTC, datetime, time

import pytest

from orchestrator.leads.hours import CallingHours, lead_zones, next_allowed
from orchestrator.leads.model import Lead
from orchestrator.leads.outcomes import Outcome, classify_unanswered
from orchestrator.leads.rules import (
    HOUR,
    MAX_DELAY_S,
    AttemptLimit,
    LeadRules,
    after_attempt,
    after_disposition,
    check_before_dial,
    clamp_duration,
)
from orchestrator.leads.status import LeadStatus


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


NOON_NY = ts(2026, 11, 25, 17, 0)  # Wednesday 12:00 in New York (EST, UTC-5)
NY = "+12125550100"


@pytest.mark.parametrize(("cause", "outcome"), [
    (17, Outcome.BUSY), (18, Outcome.NO_ANSWER), (19, Outcome.NO_ANSWER), (16, Outcome.NO_ANSWER),
    (1, Outcome.INVALID_NUMBER), (3, Outcome.INVALID_NUMBER), (28, Outcome.INVALID_NUMBER),
    (34, Outcome.CONGESTION), (38, Outcome.CONGESTION), (21, Outcome.REJECTED), (0, Outcome.FAILED),
    (99, Outcome.FAILED),
])
def test_unanswered_causes(cause, outcome):
    assert classify_unanswered(cause) is outcome


def test_busy_retries_after_its_delay_and_counts_the_attempt():
    rules = LeadRules(delays={Outcome.BUSY: 600.0})
    update = after_attempt(Lead(1, NY, attempts=1), Outcome.BUSY, 1000.0, rules)
    assert (update.status, update.attempts, update.next_attempt_at) == (LeadStatus.PENDING, 2, 1600.0)
    assert update.last_outcome is Outcome.BUSY


def test_no_answer_and_machine_use_their_own_delays():
    rules = LeadRules(delays={Outcome.NO_ANSWER: 7200.0, Outcome.MACHINE: 3 * HOUR})
    assert after_attempt(Lead(1, NY), Outcome.NO_ANSWER, 0.0, rules).next_attempt_at == 7200.0
    assert after_attempt(Lead(1, NY), Outcome.MACHINE, 0.0, rules).next_attempt_at == 3 * HOUR


def test_max_attempts_ends_the_lead():
    update = after_attempt(Lead(1, NY, attempts=2), Outcome.NO_ANSWER, 0.0, LeadRules(max_attempts=3))
    assert (update.status, update.attempts, update.next_attempt_at) == (LeadStatus.DONE, 3, None)


def test_connected_is_final_and_invalid_number_marks_invalid():
    assert after_attempt(Lead(1, NY), Outcome.CONNECTED, 0.0, LeadRules()).status is LeadStatus.DONE
    assert after_attempt(Lead(1, NY), Outcome.INVALID_NUMBER, 0.0, LeadRules()).status is LeadStatus.INVALID


def test_abandon_is_not_recalled_for_72_hours_even_with_a_short_delay():
    rules = LeadRules(delays={Outcome.ABANDONED: 60.0, Outcome.BUSY: 60.0})
    update = after_attempt(Lead(1, NY), Outcome.ABANDONED, 1000.0, rules)
    assert update.next_attempt_at == 1000.0 + 72 * HOUR
    assert (update.last_abandon_at, update.no_recall_until) == (1000.0, 1000.0 + 72 * HOUR)
    # A later busy on the same lead (e.g. dialed manually) still respects the quiet period.
    later = after_attempt(Lead(1, NY, 1, last_abandon_at=1000.0), Outcome.BUSY, 2000.0, rules)
    assert later.next_attempt_at == 1000.0 + 72 * HOUR


def test_quiet_period_is_configurable():
    rules = LeadRules(abandon_no_recall_s=24 * HOUR, delays={Outcome.ABANDONED: 60.0})
    assert after_attempt(Lead(1, NY), Outcome.ABANDONED, 0.0, rules).next_attempt_at == 24 * HOUR


def test_check_before_dial_refuses_dnc_max_attempts_and_quiet_period():
    rules = LeadRules(max_attempts=3)
    assert check_before_dial(Lead(1, NY), NOON_NY, rules, on_dnc_list=False) is None
    assert check_before_dial(Lead(1, NY), NOON_NY, rules, on_dnc_list=True).status is LeadStatus.DNC
    assert check_before_dial(Lead(1, NY, attempts=3), NOON_NY, rules, False).status is LeadStatus.DONE
    quiet = check_before_dial(Lead(1, NY, 1, last_abandon_at=NOON_NY - HOUR), NOON_NY, rules, False)
    assert (quiet.status, quiet.next_attempt_at) == (LeadStatus.PENDING, NOON_NY - HOUR + 72 * HOUR)


def test_outside_calling_hours_in_the_leads_zone_is_released_to_the_next_window():
    rules = LeadRules(calling_hours=CallingHours.daily((time(9), time(20))))
    at_22_ny = ts(2026, 11, 26, 3, 0)  # 22:00 in New York, 03:00 UTC
    update = check_before_dial(Lead(1, NY), at_22_ny, rules, False)
    assert update.status is LeadStatus.PENDING
    assert update.reason == "outside calling hours"
    assert update.next_attempt_at == ts(2026, 11, 26, 14, 0)  # 09:00 New York


def test_explicit_timezone_field_wins_over_the_number():
    rules = LeadRules(calling_hours=CallingHours.daily((time(9), time(20))))
    at = ts(2026, 11, 26, 3, 0)  # 22:00 New York, 12:00 Tokyo
    assert check_before_dial(Lead(1, NY, timezone="Asia/Tokyo"), at, rules, False) is None


def test_zones_come_from_the_number_with_a_fallback_for_unknown_ones():
    assert [z.key for z in lead_zones(NY, None, "UTC")] == ["America/New_York"]
    assert [z.key for z in lead_zones("+15550100000", None, "Europe/London")] == ["Europe/London"]
    assert [z.key for z in lead_zones(NY, "Not/AZone", "UTC")] == ["America/New_York"]


def test_several_zones_allow_calls_only_when_every_zone_is_inside_its_hours():
    from zoneinfo import ZoneInfo
    zones = (ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles"))
    hours = CallingHours.daily((time(9), time(20)))
    at = ts(2026, 11, 25, 15, 0)  # 10:00 New York, 07:00 Los Angeles
    assert next_allowed(at, zones, hours) == ts(2026, 11, 25, 17, 0)  # 09:00 Los Angeles
    at_evening = ts(2026, 11, 26, 0, 30)  # 19:30 New York, 16:30 Los Angeles: both inside
    assert next_allowed(at_evening, zones, hours) == at_evening


def test_weekdays_are_respected():
    hours = CallingHours.daily((time(9), time(20)), weekdays=range(5))
    from zoneinfo import ZoneInfo
    saturday_noon = ts(2026, 11, 28, 12, 0)
    assert next_allowed(saturday_noon, (ZoneInfo("UTC"),), hours) == ts(2026, 11, 30, 9, 0)


def test_callback_goes_to_the_same_agent_but_not_inside_the_quiet_period():
    rules = LeadRules()
    update = after_disposition(Lead(1, NY, 1), 100.0, rules, final=True, agent_id=7, callback_at=5000.0)
    assert (update.status, update.next_attempt_at) == (LeadStatus.CALLBACK, 5000.0)
    assert update.callback_agent_id == 7
    quiet = after_disposition(Lead(1, NY, 1, last_abandon_at=4000.0), 4500.0, rules, final=True, agent_id=7,
                              callback_at=5000.0)
    assert quiet.next_attempt_at == 4000.0 + 72 * HOUR


def test_final_disposition_keeps_the_lead_done_and_a_non_final_one_recycles_it():
    rules = LeadRules(delays={Outcome.CONNECTED: 86400.0})
    assert after_disposition(Lead(1, NY, 1), 0.0, rules, final=True, agent_id=7, callback_at=None) is None
    recycled = after_disposition(Lead(1, NY, 1), 0.0, rules, final=False, agent_id=7, callback_at=None)
    assert (recycled.status, recycled.next_attempt_at) == (LeadStatus.PENDING, 86400.0)
    spent = Lead(1, NY, attempts=5)
    assert after_disposition(spent, 0.0, rules, final=False, agent_id=7, callback_at=None) is None


def test_a_callback_lead_stays_the_agents_when_retried_or_released():
    lead = Lead(1, NY, attempts=1, callback_agent_id=7)
    busy = after_attempt(lead, Outcome.BUSY, 0.0, LeadRules())
    assert (busy.status, busy.callback_agent_id) == (LeadStatus.CALLBACK, 7)
    connected = after_attempt(lead, Outcome.CONNECTED, 0.0, LeadRules())
    assert (connected.status, connected.callback_agent_id) == (LeadStatus.DONE, None)
    night = check_before_dial(lead, ts(2026, 11, 26, 3, 0), LeadRules(), False)
    assert (night.status, night.callback_agent_id) == (LeadStatus.CALLBACK, 7)


def test_per_outcome_limits_count_that_outcome_only():
    rules = LeadRules(max_attempts=10, max_per_outcome={Outcome.MACHINE: 2})
    first = after_attempt(Lead(1, NY, 3, outcome_counts={"no_answer": 3}), Outcome.MACHINE, 0.0, rules)
    assert first.status is LeadStatus.PENDING
    second = after_attempt(Lead(1, NY, 4, outcome_counts={"machine": 1}), Outcome.MACHINE, 0.0, rules)
    assert (second.status, second.reason) == (LeadStatus.DONE, "max attempts")


def test_lost_attempts_are_retried_after_a_delay_never_at_once():
    update = after_attempt(Lead(1, NY), Outcome.LOST, 1000.0, LeadRules())
    assert update.status is LeadStatus.PENDING
    assert update.next_attempt_at == 1000.0 + 15 * 60


PARIS = "+33142000000"
DAY = 24 * HOUR


def test_several_windows_a_day_are_all_dialable_and_the_gap_is_not():
    fr = CallingHours.daily((time(10), time(13)), (time(14), time(20)), weekdays=range(5))
    rules = LeadRules(calling_hours=fr)
    # Wednesday 2026-11-25; Paris is UTC+1 in November.
    assert check_before_dial(Lead(1, PARIS), ts(2026, 11, 25, 10, 30), rules, False) is None  # 11:30
    lunch = check_before_dial(Lead(1, PARIS), ts(2026, 11, 25, 12, 30), rules, False)  # 13:30
    assert lunch.reason == "outside calling hours"
    assert lunch.next_attempt_at == ts(2026, 11, 25, 13, 0)  # 14:00 Paris, not tomorrow
    assert check_before_dial(Lead(1, PARIS), ts(2026, 11, 25, 13, 30), rules, False) is None  # 14:30
    evening = check_before_dial(Lead(1, PARIS), ts(2026, 11, 27, 19, 30), rules, False)  # Friday 20:30
    assert evening.next_attempt_at == ts(2026, 11, 30, 9, 0)  # Monday 10:00 Paris


def test_hours_tables_round_trip_and_compare_by_what_they_allow():
    table = {"mon": [["14:00", "20:00"], ["10:00", "13:00"]],
             "sat": [["09:00", "12:00"], ["11:00", "12:30"]]}
    hours = CallingHours.from_table(table)
    assert hours.table() == {"mon": [["10:00", "13:00"], ["14:00", "20:00"]], "sat": [["09:00", "12:30"]]}
    assert CallingHours.from_table({}).table()["sun"] == [["00:00", "24:00"]]
    fr = CallingHours.daily((time(10), time(13)), (time(14), time(20)), weekdays=range(5))
    assert CallingHours.from_table({"tue": [["10:30", "12:00"], ["15:00", "20:00"]]}).within(fr)
    assert not CallingHours.from_table({"tue": [["12:00", "14:30"]]}).within(fr)
    assert not CallingHours.from_table({"sat": [["10:00", "12:00"]]}).within(fr)
    bad_tables = (({"mon": [["13:00", "10:00"]]}, "empty calling window 13:00-10:00 on mon"),
                  ({"funday": [["10:00", "11:00"]]}, "unknown weekday 'funday'"),
                  ({"mon": [["25:00", "26:00"]]}, r"bad time '25:00' \(want HH:MM\)"))
    for bad, message in bad_tables:
        with pytest.raises(ValueError, match=message):
            CallingHours.from_table(bad)


def test_a_number_dialed_its_quota_in_the_window_waits_for_the_oldest_dial_to_leave_it():
    rules = LeadRules(attempt_limit=AttemptLimit(4, 30 * DAY), calling_hours=CallingHours.from_table({}))
    now = ts(2026, 11, 25, 12, 0)
    dials = (now - 40 * DAY, now - 20 * DAY, now - 10 * DAY, now - 5 * DAY)  # three inside the window
    assert check_before_dial(Lead(1, PARIS, recent_dials=dials), now, rules, False) is None
    fourth = (*dials, now - DAY)
    held = check_before_dial(Lead(1, PARIS, recent_dials=fourth), now, rules, False)
    assert (held.status, held.reason) == (LeadStatus.PENDING, "attempts per number")
    assert held.next_attempt_at == now - 20 * DAY + 30 * DAY
    # After the 4th dial in the window a busy retry is pushed to the same moment, not 10 minutes.
    retried = after_attempt(Lead(1, PARIS, attempts=1, recent_dials=dials[1:]), Outcome.BUSY, now, rules)
    assert retried.next_attempt_at == now - 20 * DAY + 30 * DAY
    under = after_attempt(Lead(1, PARIS, attempts=1, recent_dials=dials[2:]), Outcome.BUSY, now, rules)
    assert under.next_attempt_at == now + rules.delay(Outcome.BUSY)


@pytest.mark.parametrize("huge", [9_000_000_000_000.0, float("inf"), float("nan"), 1e308])
def test_huge_delays_are_clamped_so_no_date_overflows(huge):
    from datetime import datetime as dt

    rules = LeadRules(delays={Outcome.BUSY: huge}, abandon_no_recall_s=huge)
    now = NOON_NY
    busy = after_attempt(Lead(1, NY), Outcome.BUSY, now, rules)
    assert busy.next_attempt_at == now + MAX_DELAY_S
    dt.fromtimestamp(busy.next_attempt_at, UTC)  # representable
    abandoned = after_attempt(Lead(1, NY), Outcome.ABANDONED, now, rules)
    assert abandoned.no_recall_until == now + MAX_DELAY_S
    callback = after_disposition(Lead(1, NY), now, rules, final=False, agent_id=3, callback_at=huge)
    dt.fromtimestamp(callback.next_attempt_at, UTC)
    assert clamp_duration(-5.0) == 0.0
