# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""SMS broadcasts through a real Kannel (bearerbox + smsbox) and its fake SMSC.

Each test runs its own gateway (:class:`lab.sms.SmsLab`), the web app receiving
the delivery reports and replies, and the ``switchboard sms-sender`` process.
What the fake SMSC received is counted independently of Switchboard's own
bookkeeping: every recipient exactly once.
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lab.sandbox import kannel as gateway
from lab.sms import SmsLab, zone_at
from runner.sms_sender import LOST_REPORT
from store.enums import CampaignMode, ComplianceProfile, SmsStatus
from store.messaging import queue_post_call
from store.models import Attempt, Campaign, Disposition, DncEntry, Lead, LeadList, SmsMessage

pytestmark = pytest.mark.sandbox

TEMPLATE = "{first_name}您好，订单{ref}已确认。回复退订取消"
_REF = re.compile(r"订单(R\d+)已确认")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[SmsLab]:
    kit = SmsLab(tmp_path)
    try:
        yield kit
    finally:
        kit.close()


def _phones(n: int, first: int = 0) -> list[str]:
    return [f"+1212555{first + i:04d}" for i in range(n)]


def _refs(lab: SmsLab) -> Counter[str]:
    return Counter(m.group(1) for _to, text in lab.received() if (m := _REF.search(text)))


def test_broadcast_every_message_once_and_reported(lab: SmsLab) -> None:
    n = 60
    list_id = lab.lead_list(_phones(n), zone=zone_at(12))
    broadcast = lab.broadcast(list_id, TEMPLATE, rate_per_s=30)
    counts = lab.wait_accounted(broadcast)
    assert counts[SmsStatus.DELIVERED] == n, counts
    refs = _refs(lab)
    assert set(refs) == {f"R{i}" for i in range(n)}
    assert max(refs.values()) == 1
    texts = dict(lab.received())
    assert texts["+12125550007"] == "客户7您好，订单R7已确认。回复退订取消"  # UCS-2 intact


def test_smsbox_killed_mid_broadcast_no_message_twice_none_lost(lab: SmsLab) -> None:
    n = 150
    list_id = lab.lead_list(_phones(n), zone=zone_at(12))
    broadcast = lab.broadcast(list_id, TEMPLATE, rate_per_s=40)
    lab._wait(lambda: lab.sent_count(broadcast) >= n // 3, "a third of the broadcast")
    gateway.stop_box(lab.gateway, "smsbox", signal.SIGKILL)
    lab._wait(lambda: "sendsms unreachable" in lab.sender.log.read_text(), "the sender to notice")
    gateway.start_box(lab.gateway, "smsbox")
    counts = lab.wait_accounted(broadcast)
    # Reports the killed smsbox held are lost (Kannel 1.4.5 acknowledges a report once its HTTP call has
    # started): those messages end "sent", with the reason.
    assert counts[SmsStatus.DELIVERED] + counts[SmsStatus.SENT] == n, counts
    with lab.sessions() as session:
        errors = set(session.scalars(select(SmsMessage.error).where(SmsMessage.status == SmsStatus.SENT)))
    assert errors <= {LOST_REPORT}
    refs = _refs(lab)
    assert set(refs) == {f"R{i}" for i in range(n)}, "lost"
    assert [r for r, c in refs.items() if c > 1] == [], "sent twice"


def test_long_chinese_message_is_split_and_concatenated(lab: SmsLab) -> None:
    long_text = "订单{ref}：" + "您的包裹已从上海仓库发出，预计三个工作日内送达，请保持电话畅通。" * 5
    list_id = lab.lead_list(_phones(2, 100), zone=zone_at(12))
    broadcast = lab.broadcast(list_id, long_text, rate_per_s=10)
    assert lab.wait_accounted(broadcast)[SmsStatus.DELIVERED] == 2
    got = dict(lab.received())
    assert got["+12125550101"] == long_text.format(ref="R1")
    parts = [line for line in lab.gateway.received_log.read_text().splitlines() if " udh " in line]
    assert len(parts) == 2 * 3  # 158 characters: three UCS-2 parts of at most 67 each


def test_quiet_hours_defer_and_opt_out_reply_blocks(lab: SmsLab) -> None:
    awake, asleep = _phones(2, 200), _phones(1, 300)
    night_list = lab.lead_list(asleep, zone=zone_at(3))
    night = lab.broadcast(night_list, TEMPLATE, rate_per_s=10, profile=ComplianceProfile.CN)
    gateway.inject_reply(lab.settings, awake[0], "退订")
    lab._wait(lambda: _on_dnc(lab, awake[0]), "the opt-out reply to reach the do-not-call list")
    day_list = lab.lead_list(awake, zone=zone_at(12))
    day = lab.broadcast(day_list, TEMPLATE, rate_per_s=10, profile=ComplianceProfile.CN)
    counts = lab.wait_accounted(day)
    assert counts[SmsStatus.BLOCKED] == 1, counts
    assert counts[SmsStatus.DELIVERED] == 1, counts
    assert [to for to, _ in lab.received()] == [awake[1]]
    with lab.sessions() as session:
        waiting = session.scalars(select(SmsMessage).where(SmsMessage.broadcast_id == night)).one()
    assert waiting.status is SmsStatus.QUEUED
    assert waiting.not_before is not None
    assert waiting.not_before > datetime.now(UTC) + timedelta(hours=4)


def _on_dnc(lab: SmsLab, phone: str) -> bool:
    with lab.sessions() as session:
        return session.scalar(select(DncEntry.id).where(DncEntry.phone == phone)) is not None


def test_post_call_sms_goes_through_kannel_and_do_not_call_is_checked_when_it_is_sent(lab: SmsLab) -> None:
    """What an agent's disposition queues (``store.messaging.queue_post_call``, as the web test shows)
    is sent and reported like a broadcast; a number put on the list after the call is not sent to."""
    customer, opted_out = _phones(2, 400)
    with lab.sessions.begin() as session:
        sale = Disposition(code="SALE", label="Sale", sms_template="谢谢{first_name}，订单{ref}已确认")
        campaign = Campaign(name="Orders", mode=CampaignMode.PROGRESSIVE, compliance_profile="us",
                            dispositions=[sale])
        lead_list = LeadList(name="orders", campaign=campaign)
        session.add_all([campaign, lead_list])
        session.flush()
        leads = [Lead(list_id=lead_list.id, campaign_id=campaign.id, phone=phone, timezone=zone_at(12),
                      fields={"first_name": f"客户{i}", "ref": f"R{900 + i}"})
                 for i, phone in enumerate((customer, opted_out))]
        session.add_all(leads)
        session.flush()
        for lead in leads:
            attempt = Attempt(lead_id=lead.id, campaign_id=campaign.id, phone=lead.phone)
            session.add(attempt)
            session.flush()
            queue_post_call(session, attempt, sale)
        session.add(DncEntry(phone=opted_out, campaign_id=None, reason="asked on the phone", source="test"))
        broadcast = session.scalars(select(SmsMessage.broadcast_id)).first()
    counts = lab.wait_accounted(broadcast)
    assert counts[SmsStatus.DELIVERED] == 1, counts
    assert counts[SmsStatus.BLOCKED] == 1, counts
    assert lab.received() == [(customer, "谢谢客户0，订单R900已确认")]


def test_a_kannel_running_another_instances_configuration_is_restarted_with_this_one(lab: SmsLab) -> None:
    """The demo's broadcast failed (403 Authorization): the shared Kannel ran with another instance's
    sendsms password, and ``up`` left it so. The same configuration is left running."""
    before = gateway.pid(lab.gateway, "bearerbox")
    assert gateway.pid(gateway.up(lab.settings), "bearerbox") == before
    other = gateway.up(replace(lab.settings, sms_secret="another-instance-secret"))
    assert gateway.pid(other, "bearerbox") not in (None, before)
    assert "another-instance-secret" in other.files.conf.read_text()
    back = gateway.up(lab.settings)
    assert "another-instance-secret" not in back.files.conf.read_text()
    broadcast = lab.broadcast(lab.lead_list(_phones(3), zone=zone_at(12)), TEMPLATE, rate_per_s=10)
    assert lab.wait_accounted(broadcast)[SmsStatus.DELIVERED] == 3  # the lab's sender is let in again
