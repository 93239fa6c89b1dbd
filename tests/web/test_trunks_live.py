"""A trunk made in the admin registers with the sandbox's carrier (the world), on both PBXes.

The world holds a carrier account per PBX (``trunk-pbx``, ``trunk-freeswitch``, lab credentials).
Saving the trunk commits it, renders it (PJSIP include / sofia gateway file) and reloads the node
live; the nodes page's JSON then tells it registered. Every file provisioning may rewrite is put
back afterwards and the gateways are dropped (other tests share the sandbox).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from ami.session import run_actions
from dialplans.render import render_asterisk, write_atomically
from lab.campaign import sandbox_up
from lab.sandbox import faxes
from lab.sandbox.credentials import freeswitch_secrets, phone_credentials, trunk_accounts
from lab.sandbox.fsrender import XML_CURL_NODE
from lab.sandbox.layout import nodes, paths, provisioning_settings
from lab.sandbox.world import Outcome, world_number
from provisioning import freeswitch
from provisioning.seats import PJSIP_RELOAD, RELOADS, run_cli
from provisioning.trunks import TRUNKS_FILE
from runner import faxdocs
from store.enums import PbxKind
from store.models import PbxNode, Seat, Trunk
from tests.faxdoc import pdf
from tests.integration.campaign_kit import BOTH_PBXES
from tests.integration.test_fax_live import assert_same_pages, fs_fax_events, pbx_sends  # noqa: F401
from web.db import sealer, sessions

pytestmark = pytest.mark.sandbox
HUMAN = world_number(Outcome.HUMAN, talk_s=3, serial=917)


@pytest.fixture
def provisioned(app, sandbox):
    """Provisioning pointed at the sandbox; the pbx's files put back and the node's gateways dropped after."""
    sandbox_up(sandbox.settings, "freeswitch")
    sandbox_paths = paths(sandbox.settings)
    etc = sandbox_paths.pbx_config_dir
    names = [sandbox_paths.seats_file.name, TRUNKS_FILE, *render_asterisk()]
    before = {n: (etc / n).read_text() for n in names if (etc / n).exists()}
    target = provisioning_settings(sandbox.settings)
    app.config.update(SEATS_CONF_PATH=target.seats_conf_path, SEATS_PJSIP_TRANSPORT=target.pjsip_transport,
                      FREESWITCH_GATEWAYS_DIR=target.freeswitch_gateways_dir)
    yield sandbox
    changed = write_atomically(etc, before)
    for name in set(names) - set(before):
        (etc / name).unlink(missing_ok=True)
        changed.append(name)
    if changed:
        run_cli(sandbox.pbx, list(dict.fromkeys(RELOADS.get(n, PJSIP_RELOAD) for n in changed)))
    esl = freeswitch.EslTarget("127.0.0.1", sandbox.settings.esl_port,
                               freeswitch_secrets(sandbox.settings).esl_password)
    freeswitch.provision_gateways(Path(target.freeswitch_gateways_dir), [], esl)


def _node(app, admin, sandbox, kind: PbxKind) -> int:
    """The sandbox's pbx or FreeSWITCH node added on the seats page (the pbx with the sandbox's phones as
    its seats, so they stay registered); its id."""
    settings, pbx = sandbox.settings, sandbox.pbx
    admin.get("/admin/seats")
    if kind is PbxKind.ASTERISK:
        admin.post("/admin/nodes", {"name": "sandbox-pbx", "kind": "asterisk", "host": pbx.host,
                                    "port": str(pbx.port), "username": pbx.username, "secret": pbx.secret})
    else:
        admin.post("/admin/nodes", {"name": XML_CURL_NODE, "kind": "freeswitch", "host": "127.0.0.1",
                                    "port": str(settings.esl_port), "username": "",
                                    "secret": freeswitch_secrets(settings).esl_password})
    with app.app_context(), sessions().begin() as s:
        node_id = s.scalars(select(PbxNode.id)).one()
        if kind is PbxKind.ASTERISK:
            s.add_all(Seat(node_id=node_id, extension=c.extension, secret=sealer().seal(c.secret))
                      for c in phone_credentials(settings))
    return node_id


def _trunk_form(name: str, node_id: int, account, settings, **extra: object) -> dict:
    return {"name": name, "node_ids": [str(node_id)], "host": settings.world_address,
            "port": str(settings.sip_port), "transport": "udp", "auth": "registration",
            "username": account.extension, "secret": account.secret, "codecs": ["ulaw"], "channel_limit": "4",
            "enabled": "on", **extra}


def _state_once(admin, node_id: int, trunk: str, wanted: str, tries: int = 100) -> dict:
    """The nodes page's live state once ``trunk`` is ``wanted`` (a REGISTER takes a round trip or two)."""
    for _ in range(tries):
        live = admin.get(f"/admin/nodes/{node_id}/registrations.json").get_json()
        if live["trunks"].get(trunk) == wanted:
            break
        time.sleep(0.1)
    return live


def test_a_trunk_made_in_the_admin_registers_with_the_carrier_on_asterisk(app, as_role, provisioned):
    settings, pbx = provisioned.settings, provisioned.pbx
    admin = as_role("admin")
    node_id = _node(app, admin, provisioned, PbxKind.ASTERISK)
    account = trunk_accounts(settings)[0]

    admin.get("/admin/trunks")
    response = admin.post("/admin/trunks", _trunk_form("carrier", node_id, account, settings))
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "pjsip-trunks.conf" in page  # reloaded with the seats file

    live = _state_once(admin, node_id, "carrier", "registered")
    assert live["trunks"]["carrier"] == "registered", live
    assert "carrier: <span class=\"state\">" in admin.get("/admin/seats").get_data(as_text=True)
    # A call through it reaches the carrier's numbers (a synchronous originate succeeds once answered).
    (reply,) = run_actions(pbx, [{"Action": "Originate", "Channel": f"PJSIP/{HUMAN}@carrier",
                                  "Application": "Wait", "Data": "1", "Timeout": "4000", "Async": "false"}],
                         timeout=8)
    assert reply.success, reply

    # An account the carrier does not hold: it refuses the registration, and the nodes page says so.
    with app.app_context(), sessions()() as s:
        trunk_id = s.scalar(select(Trunk.id))
    admin.get(f"/admin/trunks/{trunk_id}")
    admin.post(f"/admin/trunks/{trunk_id}", _trunk_form("carrier", node_id, account, settings,
                                                         username="nobody-here"))
    live = _state_once(admin, node_id, "carrier", "rejected")
    assert live["trunks"]["carrier"] == "rejected", live


def test_a_trunk_made_in_the_admin_registers_with_the_carrier_on_freeswitch(app, as_role, provisioned):
    settings = provisioned.settings
    admin = as_role("admin")
    node_id = _node(app, admin, provisioned, PbxKind.FREESWITCH)
    account = trunk_accounts(settings)[1]

    admin.get("/admin/trunks")
    response = admin.post("/admin/trunks", _trunk_form("carrier", node_id, account, settings))
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "reloaded carrier.xml" in page

    live = _state_once(admin, node_id, "carrier", "registered")
    assert live["trunks"]["carrier"] == "registered", live
    esl = freeswitch.EslTarget("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password)
    answered = esl.api(f"originate {{originate_timeout=4}}sofia/gateway/carrier/{HUMAN} &park")
    assert answered.startswith("+OK"), answered  # the carrier answered a call through the gateway
    esl.api(f"uuid_kill {answered.split()[1]}")


@BOTH_PBXES
def test_a_fax_through_a_g711_only_trunk_made_in_the_admin_goes_as_audio(app, as_role, provisioned, request,
                                                                         kind, tmp_path):
    """T.38 off in the trunk's form: the world's fax machine re-invites to T.38, the PBX refuses, and the
    fax goes over G.711, every page."""
    settings = provisioned.settings
    admin = as_role("admin")
    node_id = _node(app, admin, provisioned, kind)
    account = trunk_accounts(settings)[0 if kind is PbxKind.ASTERISK else 1]
    admin.get("/admin/trunks")
    response = admin.post("/admin/trunks", _trunk_form("carrier", node_id, account, settings, t38="off"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _state_once(admin, node_id, "carrier", "registered")["trunks"]["carrier"] == "registered"

    faxes.sync(settings)
    (tmp_path / "doc.pdf").write_bytes(pdf(2))
    assert faxdocs.to_tiff(tmp_path / "doc.pdf", tmp_path / "doc.tif") == 2
    sock = request.getfixturevalue("fs_fax_events")[1] if kind is PbxKind.FREESWITCH else None
    sent, received = pbx_sends(provisioned, kind, "carrier", tmp_path / "doc.tif", sock)
    assert (sent["Status"], sent["Pages"]) == ("SUCCESS", "2"), sent
    assert (received["Status"], received["Pages"], received["Mode"]) == ("SUCCESS", "2", "audio"), received
    assert sent["Mode"] == {PbxKind.ASTERISK: "audio", PbxKind.FREESWITCH: "off"}[kind]
    faxdocs.to_pdf(tmp_path / "doc.tif", tmp_path / "sent.pdf")
    stored = nodes(settings)["world"].host(received["File"])
    assert_same_pages(stored, faxdocs.rasterise(tmp_path / "sent.pdf"))
