"""The trunks page: a trunk saved through the form is committed, rendered for its nodes and reloaded;
bad input gets a clear message and changes nothing; campaigns pick trunks and follow a rename."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.models import AuditLog, Campaign, PbxNode, Seat, Trunk
from tests.web import seed
from tests.web.test_seats import _node
from web.db import sealer, sessions

GOOD = {"name": "carrier", "host": "sip.example.net", "port": "5060", "transport": "udp",
        "auth": "registration", "username": "acct-42", "secret": "s3cret-pass!", "codecs": ["ulaw", "alaw"],
        "channel_limit": "30", "caller_id": "", "strip_prefix": "+44", "add_prefix": "0",
        "dids": "+442071234567\n+44 20 7123 4568", "allowed_addresses": "", "enabled": "on"}


@pytest.fixture
def admin(app, as_role, tmp_path):
    """An admin and one Asterisk node whose files go to tmp_path (its AMI on port 1: the reload fails)."""
    app.config["SEATS_CONF_PATH"] = str(tmp_path / "etc" / "pjsip-seats.conf")
    app.config["FREESWITCH_GATEWAYS_DIR"] = str(tmp_path / "gateways-{node}")
    client = as_role("admin")
    _node(client)
    client.get("/admin/trunks")
    return client


def _node_id(app) -> int:
    with app.app_context(), sessions()() as s:
        return s.scalars(select(PbxNode.id)).one()


def _trunks(app) -> list[Trunk]:
    with app.app_context(), sessions()() as s:
        return list(s.scalars(select(Trunk)))


def test_a_saved_trunk_is_committed_then_rendered_for_its_node(app, admin, tmp_path):
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": [str(_node_id(app))]})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Trunk carrier saved." in page
    assert "Provisioning pbx1 failed" in page  # no AMI there: the row stays, the file is written
    (trunk,) = _trunks(app)
    assert trunk.dids == ["+442071234567", "+442071234568"]
    assert (trunk.codecs, trunk.channel_limit, trunk.auth.value) == (["ulaw", "alaw"], 30, "registration")
    text = (tmp_path / "etc" / "pjsip-trunks.conf").read_text()
    assert "[carrier-auth]" in text
    assert "password=s3cret-pass!" in text
    assert "#tryinclude pjsip-trunks.conf" in (tmp_path / "etc" / "pjsip-seats.conf").read_text()
    assert "s3cret-pass!" not in page  # the secret is not shown back
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "trunk.create")) == "trunk.create"


def test_a_freeswitch_node_gets_a_gateway_file(app, admin, tmp_path):
    admin.get("/admin/seats")
    admin.post("/admin/nodes", {"name": "fs1", "kind": "freeswitch", "host": "127.0.0.1", "port": "1",
                                "username": "", "secret": "y" * 24})
    with app.app_context(), sessions()() as s:
        fs_id = s.scalar(select(PbxNode.id).where(PbxNode.name == "fs1"))
    admin.get("/admin/trunks")
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": [str(fs_id)]})
    assert "Provisioning fs1 failed" in admin.get(response.headers["Location"]).get_data(as_text=True)
    gateway = (tmp_path / "gateways-fs1" / "carrier.xml").read_text()
    assert '<gateway name="carrier">' in gateway
    assert '<param name="password" value="s3cret-pass!"/>' in gateway


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "carrier]\n[evil"}, "trunk name: 1-64 letters"),
    ({"host": "sip.example.net\ncontext=default"}, "is not a host name or IPv4 address"),
    ({"port": "50x"}, "port: not a whole number"),
    ({"secret": "pass;word;long"}, "registration needs a secret"),
    ({"auth": "pigeon"}, "&#39;pigeon&#39; is not a valid TrunkAuth"),
    ({"dids": "+442071234567\nhello"}, "DID &#39;hello&#39; is not a phone number"),
    ({"node_ids": []}, "pick the node(s) the trunk is on"),
    ({"t38": "sometimes"}, "&#39;sometimes&#39; is not a valid T38Mode"),
    ({"t38_max_datagram": "20"}, "T.38 datagram size: 0 (the far end&#39;s) or 100-1500 bytes"),
    ({"t38_max_datagram": "big"}, "T.38 datagram size: not a whole number"),
])
def test_bad_input_gets_a_clear_message_and_nothing_is_saved(app, admin, tmp_path, fields, message):
    """A sample through the form (400, the message, nothing stored); every rule: test_trunks_render.py."""
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": [str(_node_id(app))], **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _trunks(app) == []
    assert not (tmp_path / "etc" / "pjsip-trunks.conf").exists()


def test_a_trunks_t38_choice_is_kept_and_rendered_for_both_pbxes(app, admin, tmp_path):
    admin.get("/admin/seats")
    admin.post("/admin/nodes", {"name": "fs1", "kind": "freeswitch", "host": "127.0.0.1", "port": "1",
                                "username": "", "secret": "y" * 24})
    with app.app_context(), sessions()() as s:
        node_ids = [str(i) for i in s.scalars(select(PbxNode.id).order_by(PbxNode.id))]
    admin.get("/admin/trunks")
    form = {**GOOD, "node_ids": node_ids, "t38": "fec", "t38_max_datagram": "272"}
    assert admin.post("/admin/trunks", form).status_code == 302
    (trunk,) = _trunks(app)
    assert (trunk.t38.value, trunk.t38_max_datagram) == ("fec", 272)
    pjsip = (tmp_path / "etc" / "pjsip-trunks.conf").read_text()
    assert "t38_udptl=yes\nt38_udptl_ec=fec\nt38_udptl_maxdatagram=272\n" in pjsip
    gateway = (tmp_path / "gateways-fs1" / "carrier.xml").read_text()
    assert '<variable name="fax_enable_t38" value="true"/>' in gateway
    page = admin.get(f"/admin/trunks/{trunk.id}").get_data(as_text=True)
    assert '<option value="fec" selected>on, FEC</option>' in page

    # G.711 only: the endpoint refuses T.38, the gateway neither takes it up nor asks for it.
    assert admin.post(f"/admin/trunks/{trunk.id}", {**form, "t38": "off"}).status_code == 302
    assert "t38_udptl=no\n" in (tmp_path / "etc" / "pjsip-trunks.conf").read_text()
    gateway = (tmp_path / "gateways-fs1" / "carrier.xml").read_text()
    assert '<variable name="fax_enable_t38" value="false"/>' in gateway
    assert '<variable name="fax_enable_t38_request" value="false"/>' in gateway
    assert "<td>off</td>" in admin.get("/admin/trunks").get_data(as_text=True)


def test_names_and_dids_are_a_trunks_own(app, admin):
    node = [str(_node_id(app))]
    assert admin.post("/admin/trunks", {**GOOD, "node_ids": node}).status_code == 302
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": node, "dids": ""})
    assert "a trunk named &#39;carrier&#39; exists already" in response.get_data(as_text=True)
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": node, "name": "other"})
    taken = "DID +442071234567 is delivered by trunk &#39;carrier&#39; already"
    assert taken in response.get_data(as_text=True)
    with app.app_context(), sessions().begin() as s:
        s.add(Seat(node_id=_node_id(app), extension="8001", secret=sealer().seal("s3cret-8001-xyz")))
    response = admin.post("/admin/trunks", {**GOOD, "node_ids": node, "name": "8001", "dids": ""})
    assert "&#39;8001&#39; is a seat&#39;s name" in response.get_data(as_text=True)
    assert [t.name for t in _trunks(app)] == ["carrier"]
    admin.post("/admin/trunks", {**GOOD, "node_ids": node, "name": "9001", "dids": ""})
    admin.get("/admin/seats")
    response = admin.post("/admin/seats", {"node_id": node[0], "first": "9000", "last": "9002"})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "extensions are trunks&#39; names: 9001" in page


def test_campaigns_follow_a_rename_and_a_used_trunk_is_not_deleted(app, admin):
    assert admin.post("/admin/trunks", {**GOOD, "node_ids": [str(_node_id(app))]}).status_code == 302
    with app.app_context(), sessions().begin() as s:
        seed.campaign(s, name="C").trunk = "carrier"
    (trunk,) = _trunks(app)
    admin.get(f"/admin/trunks/{trunk.id}")
    # Editing without retyping the secret keeps it.
    response = admin.post(f"/admin/trunks/{trunk.id}", {**GOOD, "name": "carrier2", "secret": "",
                                                        "node_ids": [str(_node_id(app))]})
    assert response.status_code == 302, response.get_data(as_text=True)
    (trunk,) = _trunks(app)
    assert trunk.name == "carrier2"
    with app.app_context():
        assert "s3cret" not in trunk.secret  # sealed at rest
        assert sealer().open(trunk.secret) == "s3cret-pass!"
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Campaign.trunk)).one() == "carrier2"
    response = admin.post(f"/admin/trunks/{trunk.id}/delete")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "trunk &#39;carrier2&#39; is used by campaign(s) C" in page
    assert len(_trunks(app)) == 1


def test_the_form_says_where_to_add_a_node_when_there_is_none(app, as_role):
    page = as_role("admin").get("/admin/trunks").get_data(as_text=True)
    assert "No PBX node yet: add one on the" in page
