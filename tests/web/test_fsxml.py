"""The mod_xml_curl endpoint serves FreeSWITCH only with the node's credentials."""

import xml.etree.ElementTree as ET
from base64 import b64encode
from dataclasses import replace

import pytest

from settings import Settings
from store import migrate
from store.enums import PbxKind, T38Mode
from store.models import PbxNode, Seat, Trunk
from web.app import create_app
from web.db import sealer, sessions


@pytest.fixture
def client(tmp_path):
    settings = replace(Settings(instance_dir=tmp_path), secret_key="test",
                       fax_numbers="12015550200,12015550300")
    migrate.upgrade(settings.sqlalchemy_url, "head")
    app = create_app(settings)
    with app.app_context(), sessions()() as s:
        node = PbxNode(name="fs1", kind=PbxKind.FREESWITCH, host="127.0.0.1", port=8021,
                       secret=sealer().seal("node-secret-123"))
        s.add(node)
        s.flush()
        s.add(Trunk(name="no-t38", host="192.0.2.9", t38=T38Mode.OFF, dids=["+12015550300"], nodes=[node]))
        s.add_all([Seat(node_id=node.id, extension="8001", secret=sealer().seal("seat-secret-8001")),
                   Seat(node_id=node.id, extension="8002", secret=sealer().seal("seat-secret-8002"),
                        enabled=False)])
        s.commit()
    return app.test_client()


def _auth(user="fs1", password="node-secret-123"):
    return {"Authorization": "Basic " + b64encode(f"{user}:{password}".encode()).decode()}


def test_requires_node_credentials(client):
    form = {"section": "directory", "user": "8001", "domain": "d"}
    assert client.post("/freeswitch/xml", data=form).status_code == 401
    assert client.post("/freeswitch/xml", data=form, headers=_auth(password="wrong")).status_code == 401


def test_serves_enabled_seat_and_hides_disabled_one(client):
    ok = client.post("/freeswitch/xml", data={"section": "directory", "user": "8001", "domain": "d"},
                     headers=_auth())
    assert ok.status_code == 200
    assert ok.mimetype == "text/xml"
    assert [u.get("id") for u in ET.fromstring(ok.data).iter("user")] == ["8001"]
    off = client.post("/freeswitch/xml", data={"section": "directory", "user": "8002", "domain": "d"},
                      headers=_auth())
    # The domain without the user, not "not found": FreeSWITCH must not fall back to a static copy.
    assert [u.get("id") for u in ET.fromstring(off.data).iter("user")] == []
    assert ET.fromstring(off.data).find("section/domain").get("name") == "d"


def test_serves_routes_without_csrf_token(client):
    r = client.post("/freeswitch/xml", data={"section": "dialplan", "Hunt-Context": "switchboard"},
                    headers=_auth())
    assert r.status_code == 200
    assert "sb-outbound" in {e.get("name") for e in ET.fromstring(r.data).iter("extension")}


def test_a_fax_number_a_t38_off_trunk_delivers_stays_g711(client):
    """An IP trunk's calls are tied to no gateway: the fax route of each number says T.38 or not."""
    r = client.post("/freeswitch/xml", data={"section": "dialplan", "Hunt-Context": "switchboard"},
                    headers=_auth())
    routes = {e.get("name"): e for e in ET.fromstring(r.data).iter("extension")}

    def t38_set(route: str) -> list[str]:
        return [a.get("data") for a in routes[route].iter("action") if "fax_enable_t38" in a.get("data", "")]

    assert t38_set("sb-fax-in-12015550300") == ["fax_enable_t38=false", "fax_enable_t38_request=false"]
    assert t38_set("sb-fax-in-12015550200") == ["fax_enable_t38=true", "fax_enable_t38_request=true"]
    unset_only = routes["sb-fax-in-12015550200"].findall("condition")[1]
    assert unset_only.get("field") == "${fax_enable_t38}"  # a gateway's own choice is kept


def test_a_remote_seat_is_no_directory_user(client):
    """Its agent's phone is dialed through a trunk: nothing may register as it."""
    with client.application.app_context(), sessions()() as s:
        trunk = s.query(Trunk).one()
        s.add(Seat(node_id=trunk.nodes[0].id, extension="8003", secret=sealer().seal("seat-secret-8003"),
                   remote_number="+12015199000", trunk=trunk))
        s.commit()
    answer = client.post("/freeswitch/xml", data={"section": "directory", "user": "8003", "domain": "d"},
                         headers=_auth())
    assert [u.get("id") for u in ET.fromstring(answer.data).iter("user")] == []
