"""Delivery reports a killed smsbox took with it: the sender settles the messages Kannel accepted before
the running smsbox connected, once that smsbox has had time to post what bearerbox kept for it (the live
test and ``bench.messaging`` kill a real smsbox; here bearerbox's status page is given as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from runner.sms_sender import LOST_REPORT, REPORT_GRACE_S, Kannel, Sender
from settings import Settings
from store import messaging as store
from store.enums import ComplianceProfile, SmsStatus
from store.models import SmsMessage

#: bearerbox 1.4.5's status.txt, its box part (an smsbox connected 1 min 2 s ago).
BOXES = """
    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 1m 2s)


"""


class StatusPage(Kannel):
    """Kannel with bearerbox's status page given (no socket): the boxes it lists, smsbox answering."""

    def __init__(self, boxes: str | None) -> None:
        super().__init__(Settings(sms_secret="x"))
        self.boxes = boxes

    def answering(self) -> bool:
        return self.boxes is not None

    def _boxes(self) -> str | None:
        return self.boxes


def test_the_status_page_says_since_when_smsbox_is_connected() -> None:
    assert StatusPage(BOXES).smsbox_online_s() == 62
    two = BOXES + "    smsbox:(none), IP 127.0.0.1 (3 queued), (on-line 1d 0h 0m 5s)\n"
    assert StatusPage(two).smsbox_online_s() == 62  # the youngest
    assert StatusPage("\n").smsbox_online_s() is None
    assert StatusPage(None).smsbox_online_s() is None


def _messages(sessions, accepted: list[datetime]) -> list[int]:
    with sessions.begin() as s:
        broadcast = store.create_broadcast(s, store.BroadcastSpec(
            "b", "hi", None, None, "", ComplianceProfile.US, "UTC", 10.0, datetime.now(UTC)))
        s.execute(insert(SmsMessage), [
            {"broadcast_id": broadcast.id, "phone": f"+1212555000{i}", "text": "hi",
             "status": SmsStatus.ACCEPTED, "attempts": 1, "error": "", "accepted_at": at}
            for i, at in enumerate(accepted)])
        return list(s.scalars(select(SmsMessage.id).order_by(SmsMessage.id)))


def _statuses(sessions) -> list[tuple[SmsStatus, str]]:
    with sessions() as s:
        return [(m.status, m.error) for m in s.scalars(select(SmsMessage).order_by(SmsMessage.id))]


def test_reports_lost_with_the_old_smsbox_settle_as_sent_and_a_late_report_still_counts(sessions) -> None:
    now = datetime.now(UTC)
    connected = now - timedelta(seconds=62)  # BOXES: 62 s ago, more than the grace
    assert REPORT_GRACE_S < 62
    before, after, reported = _messages(sessions, [connected - timedelta(seconds=5),
                                                   connected + timedelta(seconds=5),
                                                   connected - timedelta(seconds=5)])
    with sessions.begin() as s:
        assert store.record_report(s, reported, 1, now)
    Sender(sessions, StatusPage(BOXES)).tick(now.timestamp())
    assert _statuses(sessions) == [(SmsStatus.SENT, LOST_REPORT), (SmsStatus.ACCEPTED, ""),
                                   (SmsStatus.DELIVERED, "")]
    with sessions.begin() as s:  # a report after all (an operator's late one): it moves the message on
        assert store.record_report(s, before, 2, now)
    assert _statuses(sessions)[0] == (SmsStatus.FAILED, "")
    assert after


def test_nothing_settles_while_the_new_smsbox_may_still_post_or_when_none_is_connected(sessions) -> None:
    now = datetime.now(UTC)
    _messages(sessions, [now - timedelta(hours=1)])
    young = BOXES.replace("1m 2s", "0m 3s")
    Sender(sessions, StatusPage(young)).tick(now.timestamp())
    Sender(sessions, StatusPage(None)).tick(now.timestamp())
    assert _statuses(sessions) == [(SmsStatus.ACCEPTED, "")]
    Sender(sessions, StatusPage(None)).tick((now + timedelta(days=3)).timestamp())  # the timeout
    assert _statuses(sessions) == [(SmsStatus.SENT, LOST_REPORT)]
