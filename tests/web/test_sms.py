# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""SMS broadcast pages: create (CSRF, validation messages, never a 500), list and detail with counts,
Kannel's callbacks (delivery reports, opt-out replies from any form of the number) through the web
app, and the SMS a disposition queues when an agent saves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from store.enums import CampaignState, Outcome, SmsBroadcastKind, SmsStatus
from store.models import Campaign, DncEntry, Lead, LeadList, Seat, SmsBroadcast, SmsMessage
from tests.web import seed
from web.db import sessions


@pytest.fixture
def list_id(app: Flask) -> int:
    with app.app_context(), sessions().begin() as session:
        lead_list = LeadList(name="customers")
        session.add(lead_list)
        session.flush()
        for i in range(3):
            session.add(Lead(list_id=lead_list.id, phone=f"+1212555000{i}", fields={"first_name": f"N{i}"}))
        return lead_list.id


def _form(list_id: int, **changes: str) -> dict[str, str]:
    return {"name": "promo", "template": "{first_name}您好", "target": f"list:{list_id}",
            "compliance_profile": "cn", "rate_per_s": "5", "start_at": "", "timezone": "Asia/Shanghai",
            "segment": "", **changes}


def test_create_list_and_detail(as_role, app: Flask, list_id: int) -> None:
    sup = as_role("sup")
    assert sup.get("/sms/new").status_code == 200
    response = sup.post("/sms/new", _form(list_id))
    assert response.status_code == 302
    with app.app_context(), sessions()() as session:
        broadcast = session.scalars(select(SmsBroadcast)).one()
        texts = sorted(session.scalars(select(SmsMessage.text)))
    assert texts == ["N0您好", "N1您好", "N2您好"]
    page = sup.get("/sms/").get_data(as_text=True)
    assert "promo" in page
    assert "<td>3</td>" in page
    detail = sup.get(f"/sms/{broadcast.id}").get_data(as_text=True)
    assert "UCS-2" in detail
    assert "N1您好" in detail
    assert sup.post(f"/sms/{broadcast.id}/state", {"state": "paused"}).status_code == 302
    assert "paused" in sup.get(f"/sms/{broadcast.id}").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"template": "Hi {first name}"}, "bad merge field"),
    ({"template": "您" * 700}, "longer than 10 SMS parts"),
    ({"target": "list:999999"}, "no such list"),
    ({"target": "nonsense"}, "choose a list or a campaign"),
    ({"rate_per_s": "fast"}, "rate"),
    ({"rate_per_s": "nan"}, "rate"),
    ({"rate_per_s": "-1"}, "rate"),
    ({"compliance_profile": "xx"}, "compliance profile"),
    ({"timezone": "Mars/Base"}, "unknown zone"),
    ({"start_at": "tomorrow"}, "start"),
    ({"name": ""}, "name"),
])
def test_bad_input_gets_a_message_not_a_500(as_role, list_id: int, changes: dict[str, str],
                                            message: str) -> None:
    response = as_role("sup").post("/sms/new", _form(list_id, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_without_csrf_token_nothing_is_created(as_role, app: Flask, list_id: int) -> None:
    sup = as_role("sup")
    assert sup.raw.post("/sms/new", data=_form(list_id)).status_code == 400
    with app.app_context(), sessions()() as session:
        assert session.scalars(select(SmsBroadcast)).first() is None


def test_agents_cannot_see_broadcasts(as_role) -> None:
    assert as_role("agent1").get("/sms/").status_code in (302, 403)


def test_kannel_callbacks_need_the_secret(client, settings) -> None:
    assert client.raw.get("/sms/mo/wrong?from=%2B1&text=STOP").status_code == 404
    assert client.raw.get(f"/sms/dlr/{settings.sms_secret or 'x'}?id=1&type=1").status_code == 404


def test_opt_out_reply_and_report(as_role, app: Flask, list_id: int) -> None:
    app.config["SWITCHBOARD_SETTINGS"] = replace(app.config["SWITCHBOARD_SETTINGS"], sms_secret="k")
    sup = as_role("sup")
    sup.post("/sms/new", _form(list_id))
    with app.app_context(), sessions()() as session:
        first = session.scalars(select(SmsMessage).order_by(SmsMessage.id)).first()
        assert first is not None
    raw = sup.raw
    assert raw.get("/sms/mo/k?from=%2B12125550001&text=%E9%80%80%E8%AE%A2").status_code == 200
    assert raw.get("/sms/mo/k?from=%2B12125550002&text=hello").status_code == 200
    assert raw.get(f"/sms/dlr/k?id={first.id}&type=1").status_code == 200
    assert raw.get(f"/sms/dlr/k?id={first.id}&type=oops").status_code == 400
    with app.app_context(), sessions()() as session:
        assert list(session.scalars(select(DncEntry.phone))) == ["+12125550001"]
        assert session.get(SmsMessage, first.id).status.value == "delivered"


@pytest.mark.parametrize("sender", ["8613800138000", "008613800138000", "+8613800138000", "13800138000"])
def test_opt_out_from_any_form_of_the_number_lists_it_in_e164(client, app: Flask, sender: str) -> None:
    app.config["SWITCHBOARD_SETTINGS"] = replace(app.config["SWITCHBOARD_SETTINGS"], sms_secret="k",
                                                 sms_region="CN")
    response = client.raw.get("/sms/mo/k", query_string={"from": sender, "text": "退订"})
    assert response.status_code == 200
    with app.app_context(), sessions()() as session:
        assert list(session.scalars(select(DncEntry.phone))) == ["+8613800138000"]


def test_opt_out_from_an_unreadable_number_is_refused(client, app: Flask) -> None:
    app.config["SWITCHBOARD_SETTINGS"] = replace(app.config["SWITCHBOARD_SETTINGS"], sms_secret="k",
                                                 sms_region="CN")
    response = client.raw.get("/sms/mo/k", query_string={"from": "12345", "text": "STOP"})
    assert response.status_code == 400
    with app.app_context(), sessions()() as session:
        assert session.scalars(select(DncEntry)).first() is None


CAMPAIGN_FORM = {
    "name": "Orders", "mode": "progressive", "compliance_profile": "US", "abandon_cap_pct": "3",
    "abandon_no_recall_h": "72", "calling_hours": "", "ring_timeout_s": "20", "max_lines": "5",
    "max_attempts": "4", "wrap_up_s": "15", "amd_action": "hangup", "retries": "", "script": "",
    "dispositions": "SALE Sale +sale +amount sms: 谢谢{name}，订单{ref}已确认\nNO Not interested",
}


def test_a_disposition_with_an_sms_queues_one_message_to_the_lead(app: Flask, as_role) -> None:
    sup = as_role("sup")
    assert sup.post("/campaigns/new", CAMPAIGN_FORM).status_code == 302
    with app.app_context(), sessions().begin() as s:
        campaign = s.scalars(select(Campaign).where(Campaign.name == "Orders")).one()
        campaign.desired_state = CampaignState.RUNNING
        agent = seed.agent(s)
        agent.seat = s.scalars(select(Seat)).one()
        (lead,) = seed.leads(s, campaign, ["+12125550009"])
        lead.fields = {"name": "王", "ref": "R42"}
        attempt = seed.attempt(s, lead, agent=agent, start=datetime.now(UTC) - timedelta(minutes=1),
                               outcome=Outcome.CONNECTED)
        sale, no = (d.id for d in campaign.dispositions)
        attempt_id, campaign_id = str(attempt.id), campaign.id
    agent_client = as_role("agent1")

    def dispose(disposition_id: int) -> None:
        form = {"attempt_id": attempt_id, "disposition_id": str(disposition_id)}
        assert agent_client.post("/agent/dispose", form, headers={"HX-Request": "true"}).status_code == 200

    dispose(sale)
    dispose(sale)  # saved twice: still one message
    with app.app_context(), sessions()() as s:
        message = s.scalars(select(SmsMessage)).one()
        broadcast = s.get(SmsBroadcast, message.broadcast_id)
        assert message.text == "谢谢王，订单R42已确认"
        assert message.phone == "+12125550009"
        assert message.status is SmsStatus.QUEUED
        assert broadcast.kind is SmsBroadcastKind.POST_CALL
        assert broadcast.campaign_id == campaign_id
    assert "谢谢王，订单R42已确认" in sup.get(f"/sms/{broadcast.id}").get_data(as_text=True)
    edit = sup.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "SALE Sale +sale +amount sms: 谢谢{name}，订单{ref}已确认" in edit
    dispose(no)  # corrected before it went: the message is withdrawn
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(SmsMessage)).first() is None


def test_a_disposition_sms_with_a_bad_template_is_refused(as_role) -> None:
    form = {**CAMPAIGN_FORM, "dispositions": "SALE Sale sms: Hi {first name}"}
    response = as_role("sup").post("/campaigns/new", form)
    assert response.status_code == 400
    assert "bad merge field" in response.get_data(as_text=True)
