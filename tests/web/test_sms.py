"""SMS broadcast pages: create (CSRF, validation messages, never a 500), list and detail with counts,
and Kannel's callbacks (delivery reports, opt-out replies) through the web app."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from store.models import DncEntry, Lead, LeadList, SmsBroadcast, SmsMessage
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
