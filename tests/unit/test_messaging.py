"""The SMS core: merge fields, coding and parts, opt-out words, quiet hours, the rate, resends."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from orchestrator.compliance import ComplianceProfile, rules_for
from orchestrator.leads.hours import CallingHours
from orchestrator.messaging import policy
from orchestrator.messaging.text import Coding, TemplateError, fields_of, fill, shape


def test_fill_merges_lead_fields_and_leaves_missing_ones_empty() -> None:
    filled = fill("Hi {first_name}, order {order} ok{x}", {"first_name": "Ann", "order": 42})
    assert filled == "Hi Ann, order 42 ok"
    assert fields_of("{a} {b} {a}") == ("a", "b")


@pytest.mark.parametrize("bad", ["Hi {first name}", "Hi {0}", "Hi {a.b}", "Hi {", "Hi {a!r}", "Hi {a:>3}"])
def test_bad_templates_are_refused(bad: str) -> None:
    with pytest.raises(TemplateError):
        fields_of(bad)


def test_gsm_text_parts() -> None:
    assert shape("a" * 160).parts == 1
    assert shape("a" * 161).parts == 2
    assert shape("a" * 306).parts == 2
    assert shape("a" * 307).parts == 3
    assert shape("€" * 80).units == 160
    assert shape("€" * 80).parts == 1
    assert shape("hello").coding is Coding.GSM


def test_chinese_goes_as_ucs2_70_then_67_per_part() -> None:
    assert shape("您" * 70).coding is Coding.UCS2
    assert shape("您" * 70).parts == 1
    assert shape("您" * 71).parts == 2
    assert shape("您" * 134).parts == 2
    assert shape("您" * 135).parts == 3
    assert shape("ok 😀").units == 5  # an emoji is two UTF-16 units


FULLWIDTH_STOP = "\uff33\uff34\uff2f\uff30"


@pytest.mark.parametrize("reply", ["STOP", " Stop please", "退订", "退订谢谢", FULLWIDTH_STOP, "unsubscribe"])
def test_opt_out_replies(reply: str) -> None:
    assert policy.is_opt_out(reply)


@pytest.mark.parametrize("reply", ["", "ok", "don't stop", "stopwatch", "我要订购", "yes STOP"])
def test_other_replies_are_not_opt_outs(reply: str) -> None:
    assert not policy.is_opt_out(reply)


def test_quiet_hours_defer_to_the_next_window_in_the_recipients_zone() -> None:
    shanghai = (ZoneInfo("Asia/Shanghai"),)
    hours = rules_for(ComplianceProfile.CN).calling_hours  # 09:00-20:00
    night = datetime(2026, 12, 3, 22, 0, tzinfo=shanghai[0]).timestamp()
    morning = datetime(2026, 12, 4, 9, 0, tzinfo=shanghai[0]).timestamp()
    assert policy.send_at(night, shanghai, hours) == morning
    noon = datetime(2026, 12, 3, 12, 0, tzinfo=shanghai[0]).timestamp()
    assert policy.send_at(noon, shanghai, hours) == noon
    assert policy.send_at(noon, shanghai, CallingHours.daily((time(9), time(10)), weekdays=())) is None


def test_rate_limiter_holds_the_rate() -> None:
    limiter = policy.RateLimiter(50.0)
    sent, now = 0, 1000.0
    while now < 1010.0:
        n = limiter.allowance(now)
        limiter.spend(n)
        sent += n
        now += 0.013
    assert 499 <= sent <= 501
    with pytest.raises(ValueError, match="rate must be positive"):
        policy.RateLimiter(0)


def test_segment() -> None:
    seg = policy.Segment.parse("no_answer, SALE", {"no_answer", "busy"})
    assert seg.matches("no_answer", None)
    assert seg.matches(None, "SALE")
    assert not seg.matches("busy", "NOSALE")
    assert policy.Segment().matches(None, None)


def test_an_unconfirmed_message_is_resent_only_once_kannel_has_had_time_to_report_it() -> None:
    marked = 100.0
    assert not policy.may_resend(marked, None, False, 10.0, 500.0)  # Kannel not answering yet
    assert not policy.may_resend(marked, 200.0, False, 10.0, 205.0)  # up, reports may still come
    assert policy.may_resend(marked, 200.0, False, 10.0, 210.0)
    assert not policy.may_resend(marked, 200.0, True, 10.0, 999.0)  # reported: Kannel had it
    assert not policy.may_resend(300.0, 200.0, False, 10.0, 305.0)  # marked after the gateway came up


def test_reports_are_lost_for_what_was_accepted_before_the_running_smsbox_once_it_had_time_to_post() -> None:
    day = 86400.0
    # smsbox connected at 200: during its grace the reports bearerbox kept for it may still come.
    assert policy.reports_lost_before(200.0, 210.0, 15.0, day) == 210.0 - day
    assert policy.reports_lost_before(200.0, 215.0, 15.0, day) == 200.0
    # No smsbox (or never restarted within the timeout): only the timeout settles messages.
    assert policy.reports_lost_before(None, 1000.0, 15.0, day) == 1000.0 - day
    assert policy.reports_lost_before(-5 * day, 1000.0, 15.0, day) == 1000.0 - day
