"""The inbound routes page: a DID of a trunk mapped to the hotline queue or a seat, with business hours;
bad input gets a clear message and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.enums import InboundTarget, MaxWait
from store.models import Agent, InboundRoute, Trunk, User
from tests.web import seed
from tests.web.test_trunks import GOOD, _node_id
from tests.web.test_trunks import admin as admin
from web.db import sessions


@pytest.fixture
def world(app, admin):
    """A trunk delivering two DIDs and two agents; returns (trunk id, [agent ids])."""
    assert admin.post("/admin/trunks", {**GOOD, "node_ids": [str(_node_id(app))]}).status_code == 302
    with app.app_context(), sessions().begin() as s:
        agents = []
        for name in ("hotline1", "outbound1"):
            user = User(username=name, password_hash="x", role="agent")
            s.add(user)
            s.flush()
            agent = Agent(user_id=user.id)
            s.add(agent)
            s.flush()
            agents.append(agent.id)
        return s.scalars(select(Trunk.id)).one(), agents


def _form(trunk_id: int, agents: list[int], **changes: object) -> dict[str, object]:
    return {"name": "400 hotline", "did": f"{trunk_id}:+442071234567", "target": "queue",
            "hotline": [str(agents[0])], "overflow": [str(agents[1])], "overflow_after_s": "10",
            "max_wait_s": "120", "hours": "mon-fri 09:00-18:00", "timezone": "Europe/London",
            "record_calls": "on", "enabled": "on", **changes}


def _routes(app) -> list[InboundRoute]:
    with app.app_context(), sessions()() as s:
        return list(s.scalars(select(InboundRoute)))


def test_a_route_saved_through_the_form_is_stored_and_listed(app, admin, world):
    trunk_id, agents = world
    response = admin.post("/admin/inbound", _form(trunk_id, agents))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Inbound route 400 hotline saved" in page
    assert "hotline1" in page
    (route,) = _routes(app)
    assert (route.did, route.trunk_id, route.target) == ("+442071234567", trunk_id, InboundTarget.QUEUE)
    assert (route.hotline_agent_ids, route.overflow_agent_ids) == ([agents[0]], [agents[1]])
    assert route.hours == {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert route.timezone == "Europe/London"
    edit = admin.get(f"/admin/inbound/{route.id}").get_data(as_text=True)
    assert "mon 09:00-18:00" in edit
    assert route.on_max_wait is MaxWait.VOICEMAIL  # the default: past the longest wait, leave a message
    assert route.announce_every_s == 0  # the default: no position announcements
    assert not route.announce_wait  # its box was not ticked
    assert 'name="announce_wait" checked' not in edit
    assert route.campaign_id is None  # the default: the route's calls take no disposition
    with app.app_context(), sessions().begin() as s:
        campaign_id = seed.campaign(s, "Hotline sales").id
    assert admin.post(f"/admin/inbound/{route.id}", _form(trunk_id, agents, target="seat", overflow=[],
                                                          on_max_wait="callback", announce_every_s="30",
                                                          announce_wait="on", campaign_id=str(campaign_id),
                                                          holidays="2027-02-17\n2026-10-01, 2026-10-01")
                        ).status_code == 302
    (route,) = _routes(app)
    assert route.holidays == ["2026-10-01", "2027-02-17"]  # sorted, once each
    edit = admin.get(f"/admin/inbound/{route.id}").get_data(as_text=True)
    assert "2026-10-01\n2027-02-17</textarea>" in edit
    assert route.campaign_id == campaign_id
    assert f'<option value="{campaign_id}" selected>Hotline sales</option>' in admin.get(
        f"/admin/inbound/{route.id}").get_data(as_text=True)
    assert (route.target, route.overflow_agent_ids) == (InboundTarget.SEAT, [])
    assert route.on_max_wait is MaxWait.CALLBACK
    assert route.announce_every_s == 30
    assert route.announce_wait  # with the estimated wait
    assert 'name="announce_wait" checked' in admin.get(f"/admin/inbound/{route.id}").get_data(as_text=True)
    listing = admin.get("/admin/inbound").get_data(as_text=True)
    assert "then callback" in listing
    assert "every 30 s, with the wait" in listing
    assert admin.post(f"/admin/inbound/{route.id}/delete").status_code == 302
    assert _routes(app) == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"did": "999:+15550000000"}, "pick one of the DIDs a trunk delivers"),
    ({"did": "1:+15550000000"}, "pick one of the DIDs a trunk delivers"),
    ({"target": "ivr"}, "a route answered by an IVR names one of the menus"),
    ({"target": "voicemail"}, "unknown target"),
    ({"hotline": [], "overflow": []}, "needs a hotline seat or a designated outbound agent"),
    ({"target": "seat", "hotline": []}, "exactly one agent"),
    ({"hotline": ["987654"]}, "unknown agent 987654"),
    ({"overflow_after_s": "ten"}, "overflow after: a whole number"),
    ({"overflow_after_s": "²"}, "overflow after: a whole number"),
    ({"max_wait_s": "0"}, "longest wait: between 1 and 3600"),
    ({"overflow_after_s": "60", "max_wait_s": "30"}, "longer than the wait before overflow"),
    ({"hours": "someday 09:00-18:00"}, "business hours: unknown day"),
    ({"hours": "mon 18:00-09:00"}, "business hours: bad time span"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"name": ""}, "name: 1 to 64 characters"),
    ({"on_max_wait": "hangup"}, "after the longest wait: voicemail or a callback request"),
    ({"announce_every_s": "-5"}, "position announcement: a whole number"),
    ({"announce_every_s": "10"}, "position announcement: 0 (never) or at least 15 seconds"),
    ({"announce_every_s": "99999"}, "position announcement: between 0 and 3600"),
    ({"campaign_id": "987654"}, "dispositions: pick one of the campaigns, or none"),
    ({"holidays": "tomorrow"}, "holiday 1: "),
    ({"holidays": "2026-10-01\n2026-13-01"}, "holiday 2: "),
    ({"holidays": "2026-10-01\n20261002"}, "is not a date (YYYY-MM-DD)"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_saved(app, admin, world, changes, message):
    trunk_id, agents = world
    response = admin.post("/admin/inbound", _form(trunk_id, agents, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _routes(app) == []


def test_one_route_per_did(app, admin, world):
    trunk_id, agents = world
    assert admin.post("/admin/inbound", _form(trunk_id, agents)).status_code == 302
    response = admin.post("/admin/inbound", _form(trunk_id, agents, name="another"))
    assert response.status_code == 400
    assert "has a route already" in response.get_data(as_text=True)
