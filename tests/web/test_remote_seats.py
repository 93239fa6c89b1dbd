"""Remote seats on the admin page: an agent's outside phone, dialed through a trunk of the seat's node."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.enums import PbxKind
from store.models import AuditLog, PbxNode, Seat, Trunk
from tests.web.test_trunks import GOOD
from web.db import sealer, sessions


@pytest.fixture
def nodes(app):
    """Two nodes, each with its own trunk: (pbx1 id, its trunk id, pbx2's trunk id)."""
    with app.app_context(), sessions()() as s:
        one, two = (PbxNode(name=name, kind=PbxKind.ASTERISK, host="127.0.0.1", port=1, username="sb",
                            secret=sealer().seal("x" * 24)) for name in ("pbx1", "pbx2"))
        here, there = Trunk(name="carrier", managed=False, nodes=[one]), Trunk(name="far", managed=False,
                                                                              nodes=[two])
        s.add_all([one, two, here, there])
        s.commit()
        return one.id, here.id, there.id


def _flash(admin, response) -> str:
    assert response.status_code == 302
    return admin.get(response.headers["Location"]).get_data(as_text=True)


def _seats(app) -> list[tuple[str, str, str | None]]:
    with app.app_context(), sessions()() as s:
        return [(x.extension, x.remote_number, x.trunk.name if x.trunk else None)
                for x in s.scalars(select(Seat).order_by(Seat.extension))]


def test_create_a_remote_seat_then_change_it_then_make_it_a_sip_seat(app, as_role, nodes, tmp_path):
    app.config["SEATS_CONF_PATH"] = str(tmp_path / "pjsip-seats-{node}.conf")
    node_id, trunk_id, _ = nodes
    admin = as_role("admin")
    admin.get("/admin/seats")
    page = _flash(admin, admin.post("/admin/seats/remote", {"node_id": node_id, "extension": "8101",
                                                             "remote_number": "(201) 519-9000",
                                                             "trunk_id": trunk_id}))
    assert "Remote seat 8101 created on pbx1" in page
    assert _seats(app) == [("8101", "+12015199000", "carrier")]  # E.164, as leads' numbers are
    assert 'class="remote-number">+12015199000<' in page
    assert "show the SIP secret of 8101" not in page  # no SIP password to hand out
    admin.post("/admin/seats", {"node_id": node_id, "first": "8001"})
    admin.post(f"/admin/nodes/{node_id}/provision")  # AMI on port 1 fails; the file is written first
    conf = (tmp_path / "pjsip-seats-pbx1.conf").read_text()
    assert "[8001]" in conf
    assert "[8101]" not in conf  # a remote seat is no PJSIP endpoint
    with app.app_context(), sessions()() as s:
        seat_id = s.scalar(select(Seat.id).where(Seat.extension == "8101"))
        details = s.scalar(select(AuditLog.details).where(AuditLog.action == "seat.create")
                           .order_by(AuditLog.id))
        assert details["remote_number"] == "+12015199000"
    page = _flash(admin, admin.post(f"/admin/seats/{seat_id}/remote",
                                    {"remote_number": "+1 201 519 9001", "trunk_id": trunk_id}))
    assert "reached at +12015199001 through carrier" in page
    assert _seats(app)[1] == ("8101", "+12015199001", "carrier")
    _flash(admin, admin.post(f"/admin/seats/{seat_id}/remote", {"remote_number": "", "trunk_id": trunk_id}))
    assert _seats(app)[1] == ("8101", "", None)
    admin.post(f"/admin/nodes/{node_id}/provision")
    assert "[8101]" in (tmp_path / "pjsip-seats-pbx1.conf").read_text()  # a SIP seat again
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "seat.remote").limit(1))


@pytest.mark.parametrize(("number", "message"), [
    ("201; Hangup", "is not a phone number"),
    ("201-519-9000@evil", "is not a phone number"),
    ("+1 000 000 0000", "is not a valid phone number"),
    ("", "a phone number is required"),
])
def test_a_bad_number_is_refused_and_nothing_is_created(app, as_role, nodes, number, message):
    node_id, trunk_id, _ = nodes
    admin = as_role("admin")
    admin.get("/admin/seats")
    page = _flash(admin, admin.post("/admin/seats/remote", {"node_id": node_id, "extension": "8101",
                                                             "remote_number": number, "trunk_id": trunk_id}))
    assert message in page
    assert _seats(app) == []


def test_a_trunk_of_another_node_is_refused_and_the_seat_is_unchanged(app, as_role, nodes):
    node_id, trunk_id, far_id = nodes
    admin = as_role("admin")
    admin.get("/admin/seats")
    form = {"node_id": node_id, "extension": "8101", "remote_number": "2015199000", "trunk_id": far_id}
    page = _flash(admin, admin.post("/admin/seats/remote", form))
    assert "trunk far is not on node pbx1" in page
    assert _seats(app) == []
    admin.post("/admin/seats/remote", {"node_id": node_id, "extension": "8101", "remote_number": "2015199000",
                                       "trunk_id": trunk_id})
    with app.app_context(), sessions()() as s:
        seat_id = s.scalar(select(Seat.id))
    page = _flash(admin, admin.post(f"/admin/seats/{seat_id}/remote", {"remote_number": "2015199001",
                                                                       "trunk_id": far_id}))
    assert "trunk far is not on node pbx1" in page
    assert _seats(app) == [("8101", "+12015199000", "carrier")]


def test_a_remote_seats_trunk_stays_on_its_node_and_is_not_deleted(app, as_role, nodes, tmp_path):
    app.config["SEATS_CONF_PATH"] = str(tmp_path / "pjsip-seats-{node}.conf")
    node_id, _, _ = nodes
    admin = as_role("admin")
    admin.get("/admin/trunks")
    admin.post("/admin/trunks", {**GOOD, "name": "mobiles", "node_ids": [str(node_id)]})
    with app.app_context(), sessions()() as s:
        trunk_id = s.scalar(select(Trunk.id).where(Trunk.name == "mobiles"))
        other = s.scalar(select(PbxNode.id).where(PbxNode.name == "pbx2"))
    admin.get("/admin/seats")
    admin.post("/admin/seats/remote", {"node_id": node_id, "extension": "8101", "remote_number": "2015199000",
                                       "trunk_id": trunk_id})
    admin.get("/admin/trunks")
    moved = admin.post(f"/admin/trunks/{trunk_id}", {**GOOD, "name": "mobiles", "node_ids": [str(other)]})
    assert moved.status_code == 400
    assert "reaches remote seat(s) 8101 on a node taken off it" in moved.get_data(as_text=True)
    page = _flash(admin, admin.post(f"/admin/trunks/{trunk_id}/delete"))
    assert "reaches remote seat(s) 8101" in page
    with app.app_context(), sessions()() as s:
        assert [n.id for n in s.get(Trunk, trunk_id).nodes] == [node_id]
    assert _seats(app) == [("8101", "+12015199000", "mobiles")]


def test_a_supervisor_cannot_make_remote_seats(app, as_role, nodes):
    node_id, trunk_id, _ = nodes
    supervisor = as_role("sup")
    supervisor.get("/")
    response = supervisor.post("/admin/seats/remote", {"node_id": node_id, "extension": "8101",
                                                       "remote_number": "2015199000", "trunk_id": trunk_id})
    assert response.status_code == 403
    assert _seats(app) == []


def test_press_1_to_accept_is_on_for_a_new_remote_seat_and_can_be_turned_off(app, as_role, nodes):
    """The seats page offers the box ticked; unticked on the seat's form it is saved off (and audited)."""
    node_id, trunk_id, _ = nodes
    admin = as_role("admin")
    page = admin.get("/admin/seats").get_data(as_text=True)
    assert '<input type="checkbox" name="confirm_answer" checked> Press 1 to accept' in page
    page = _flash(admin, admin.post("/admin/seats/remote", {
        "node_id": node_id, "extension": "8102", "remote_number": "+12015199001", "trunk_id": trunk_id,
        "confirm_answer": "on"}))
    assert "(press 1 to accept)" in page
    with app.app_context(), sessions()() as s:
        seat = s.scalar(select(Seat).where(Seat.extension == "8102"))
        seat_id, confirm = seat.id, seat.confirm_answer
    assert confirm is True
    # The box unticked: absent from the form.
    page = _flash(admin, admin.post(f"/admin/seats/{seat_id}/remote",
                                    {"remote_number": "+12015199001", "trunk_id": trunk_id}))
    assert "(press 1 to accept)" not in page
    assert 'aria-label="press 1 to accept on seat 8102">' in page  # shown unticked
    with app.app_context(), sessions()() as s:
        assert s.get(Seat, seat_id).confirm_answer is False
        details = s.scalar(select(AuditLog.details).where(AuditLog.action == "seat.remote")
                           .order_by(AuditLog.id.desc()))
        assert details["confirm_answer"] is False
    _flash(admin, admin.post(f"/admin/seats/{seat_id}/remote",
                             {"remote_number": "+12015199001", "trunk_id": trunk_id, "confirm_answer": "on"}))
    with app.app_context(), sessions()() as s:
        assert s.get(Seat, seat_id).confirm_answer is True
