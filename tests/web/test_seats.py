"""PBX nodes and seats: bulk creation in teams, strong secrets, PJSIP rendering, enable/disable."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections import Counter

import pytest
from sqlalchemy import select

from ami.session import ami_session
from lab.sandbox import cli as sandbox_cli
from lab.sandbox.credentials import phone_credentials
from lab.sandbox.layout import paths
from provisioning.seats import SeatConf, render_pjsip, write_seats
from store.models import AuditLog, PbxNode, Seat, Team
from tests.web.test_sip_registration import sandbox_seats  # noqa: F401 - fixture (restores the pbx's files)
from web.db import sealer, sessions


def _node(admin, **overrides) -> None:
    admin.get("/admin/seats")
    data = {
        "name": "pbx1",
        "kind": "asterisk",
        "host": "127.0.0.1",
        "port": "1",
        "username": "sb",
        "secret": "x" * 24,
    }
    assert admin.post("/admin/nodes", {**data, **overrides}).status_code == 302


def test_bulk_creates_48_seats_in_6_teams(app, as_role):
    admin = as_role("admin")
    _node(admin)
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    admin.post("/admin/seats", {"node_id": node_id, "first": "8001", "last": "8048", "teams": "6"})
    with app.app_context(), sessions()() as s:
        seats = s.scalars(select(Seat).order_by(Seat.extension)).all()
        assert [x.extension for x in seats] == [str(n) for n in range(8001, 8049)]
        per_team = Counter(x.team.name for x in seats)
        assert per_team == {f"Team {i}": 8 for i in range(1, 7)}
        assert seats[0].team.name == "Team 1"
        assert seats[-1].team.name == "Team 6"
        secrets = {sealer().open(x.secret) for x in seats}
        assert not {x.secret for x in seats} & secrets  # stored sealed, never as the password
        assert len(secrets) == 48
        assert all(len(x) >= 24 and x.isalnum() for x in secrets)
        assert s.scalar(select(AuditLog.details).where(AuditLog.action == "seat.create"))["count"] == 48
    page = admin.get("/admin/seats").get_data(as_text=True)
    assert min(secrets) in page  # the admin sees the credentials to give the phone


def test_overlapping_range_creates_nothing(app, as_role):
    admin = as_role("admin")
    _node(admin)
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    admin.post("/admin/seats", {"node_id": node_id, "first": "8005"})
    response = admin.post("/admin/seats", {"node_id": node_id, "first": "8001", "last": "8010", "teams": "2"})
    assert b"already exist" in admin.get(response.headers["Location"]).data
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Seat.extension)).all() == ["8005"]
        assert s.scalars(select(Team)).all() == []


def test_duplicate_node_name_is_refused(app, as_role):
    admin = as_role("admin")
    _node(admin)
    _node(admin, host="127.0.0.9")
    with app.app_context(), sessions()() as s:
        assert len(s.scalars(select(PbxNode)).all()) == 1


def test_disable_and_provision_writes_only_enabled_seats(app, as_role, tmp_path):
    app.config["SEATS_CONF_PATH"] = str(tmp_path / "etc" / "pjsip-seats-{node}.conf")
    admin = as_role("admin")
    _node(admin)  # AMI on port 1: the reload fails, the file is written (commit, then reload)
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    admin.post("/admin/seats", {"node_id": node_id, "first": "8001", "last": "8002"})
    with app.app_context(), sessions()() as s:
        seat = s.scalars(select(Seat).where(Seat.extension == "8002")).one()
    admin.post(f"/admin/seats/{seat.id}/enabled", {"enabled": "0"})
    response = admin.post(f"/admin/nodes/{node_id}/provision")
    assert b"Provisioning pbx1 failed" in admin.get(response.headers["Location"]).data
    text = (tmp_path / "etc" / "pjsip-seats-pbx1.conf").read_text()
    assert "[8001]" in text
    assert "[8002]" not in text
    routes = (tmp_path / "etc" / "extensions-switchboard.conf").read_text()
    assert "[sb-outbound]" in routes
    assert (tmp_path / "etc" / "amd.conf").exists()


def test_render_pjsip_endpoint_auth_aor():
    text = render_pjsip([SeatConf("8002", "S3cretS3cret"), SeatConf("8001", "An0therSecret")])
    assert text.index("[8001]") < text.index("[8002]")
    digest = hashlib.md5(b"8001:asterisk:An0therSecret", usedforsecurity=False).hexdigest()
    assert f"[8001-auth]\ntype=auth\nauth_type=md5\nusername=8001\nrealm=asterisk\nmd5_cred={digest}" in text
    assert "An0therSecret" not in text  # the file holds digests, never a password
    assert "type=aor\nmax_contacts=1\nremove_existing=yes" in text


@pytest.mark.parametrize(
    ("ext", "secret"), [("80\n01", "longsecret1"), ("8001", "bad]\n[secret"), ("8001", "short")]
)
def test_seat_conf_refuses_config_injection(ext, secret):
    with pytest.raises(ValueError, match=r"bad (extension|SIP secret)"):
        SeatConf(ext, secret)


def test_write_seats_reports_change_once(tmp_path):
    path = tmp_path / "pjsip-seats.conf"
    assert write_seats(path, "a") is True
    assert write_seats(path, "a") is False
    assert write_seats(path, "b") is True


def test_registration_status_of_unreachable_node_is_empty(app, as_role):
    admin = as_role("admin")
    _node(admin)
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    assert admin.get(f"/admin/nodes/{node_id}/registrations.json").get_json() == {
        "reachable": False,
        "contacts": {},
        "trunks": {},
    }


def test_render_pjsip_pins_seats_to_a_transport():
    text = render_pjsip([SeatConf("8001", "An0therSecret")], transport="transport-udp")
    assert "transport=transport-udp" in text.split("[8001-auth]")[0]
    with pytest.raises(ValueError, match="bad PJSIP transport name"):
        render_pjsip([SeatConf("8001", "An0therSecret")], transport="udp\n[evil]")


async def _register_again(settings, target, extensions: list[str]) -> tuple[set[str], set[str]]:
    """Make each phone REGISTER anew, as at its next refresh; (endpoints on the pbx, phones it accepted).

    Watched on the pbx's AMI: a ``ContactStatus`` per accepted registration, then ``PJSIPShowEndpoints``.
    """
    accepted: set[str] = set()
    async with ami_session(target) as ami:
        for extension in extensions:
            sandbox_cli.cli_command(settings, "world", f"pjsip send register {extension}")
        with contextlib.suppress(TimeoutError):
            for extension in extensions:
                await ami.wait_event(lambda m, e=extension: m.get("Event") == "ContactStatus"
                                     and m.get("AOR") == e and m.get("ContactStatus") != "Removed")
                accepted.add(extension)
        endpoints = await ami.action({"Action": "PJSIPShowEndpoints"}, as_list=True)
    return {str(m["ObjectName"]) for m in endpoints if m.get("Event") == "EndpointList"}, accepted


@pytest.mark.sandbox
def test_provisioning_the_sandbox_pbx_from_the_admin_keeps_all_its_phones(app, as_role, sandbox_seats):  # noqa: F811
    """The phones are seats in the database (as ``switchboard run`` seeds them) with an admin-made seat:
    the file holds those seats and nothing else, and every phone registers again."""
    settings = sandbox_seats.settings
    phones = phone_credentials(settings)
    admin = as_role("admin")
    pbx = sandbox_seats.pbx
    _node(admin, name="sandbox-pbx", host=pbx.host, port=str(pbx.port), username=pbx.username,
          secret=pbx.secret)
    with app.app_context(), sessions().begin() as s:
        node = s.scalars(select(PbxNode)).one()
        s.add_all(Seat(node_id=node.id, extension=p.extension, secret=sealer().seal(p.secret))
                  for p in phones)
    admin.post("/admin/seats", {"node_id": str(node.id), "first": "9902"})
    page = admin.get(admin.post(f"/admin/nodes/{node.id}/provision").headers["Location"])
    assert b"reloaded pjsip-seats.conf" in page.data

    wanted = [p.extension for p in phones]
    written = paths(settings).seats_file.read_text()
    assert set(re.findall(r"^\[([^\]]+)\]\ntype=endpoint", written, re.M)) == {*wanted, "9902"}
    endpoints, accepted = asyncio.run(_register_again(settings, pbx, wanted))
    assert set(wanted) | {"9902"} <= endpoints
    assert accepted == set(wanted)


def test_a_node_gets_a_standby_runner_on_postgresql_and_is_refused_one_on_sqlite(app, as_role):
    admin = as_role("admin")
    _node(admin)
    with app.app_context(), sessions()() as s:
        node = s.scalar(select(PbxNode))
        postgres = s.get_bind().dialect.name == "postgresql"
    page = admin.post(f"/admin/nodes/{node.id}/standby", {"standby": "on"}, follow_redirects=True)
    assert page.status_code == 200
    with app.app_context(), sessions()() as s:
        assert s.get(PbxNode, node.id).standby is postgres
        audited = s.scalars(select(AuditLog.action).where(AuditLog.action == "node.standby")).all()
    if postgres:
        assert "2 (active + standby)" in page.text
        assert audited == ["node.standby"]
        admin.post(f"/admin/nodes/{node.id}/standby", {"standby": "off"})
        with app.app_context(), sessions()() as s:
            assert s.get(PbxNode, node.id).standby is False
    else:
        assert "a standby runner needs PostgreSQL" in page.text
        assert audited == []
