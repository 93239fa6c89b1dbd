"""A real SIP phone (baresip) registers to the sandbox's PBXes with credentials made in the admin.

The sandbox's own phones (``agent001``...) are loaded as seats first, as the
sandbox asks (provisioning writes the database's seats alone), so they stay
registered; the seats file is put back as it was at the end (other tests
share the sandbox).
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from dialplans.render import render_asterisk, write_atomically
from lab.campaign import sandbox_up
from lab.sandbox.credentials import freeswitch_secrets, phone_credentials
from lab.sandbox.fsrender import XML_CURL_NODE
from lab.sandbox.layout import paths, provisioning_settings
from provisioning.seats import PJSIP_RELOAD, RELOADS, run_cli
from provisioning.trunks import TRUNKS_FILE
from store.models import PbxNode, Seat
from tests.web.sipclient import Phone
from web.db import sealer, sessions

pytestmark = pytest.mark.sandbox
EXTENSION = "9901"


@pytest.fixture
def sandbox_seats(app, sandbox):
    """Point provisioning at the sandbox pbx; put every file it may rewrite back afterwards."""
    sandbox_paths = paths(sandbox.settings)
    names = [sandbox_paths.seats_file.name, *render_asterisk()]
    before = {n: (sandbox_paths.pbx_config_dir / n).read_text() for n in names}
    target = provisioning_settings(sandbox.settings)
    app.config.update(SEATS_CONF_PATH=target.seats_conf_path, SEATS_PJSIP_TRANSPORT=target.pjsip_transport)
    yield sandbox
    (sandbox_paths.pbx_config_dir / TRUNKS_FILE).unlink(missing_ok=True)  # provisioning writes it too
    changed = write_atomically(sandbox_paths.pbx_config_dir, before)
    if changed:
        run_cli(sandbox.pbx, [PJSIP_RELOAD if n == names[0] else RELOADS[n] for n in changed])


def test_admin_made_seat_registers_and_disabled_seat_cannot(app, as_role, sandbox_seats):
    pbx = sandbox_seats.pbx
    admin = as_role("admin")
    admin.get("/admin/seats")
    admin.post(
        "/admin/nodes",
        {
            "name": "sandbox-pbx",
            "kind": "asterisk",
            "host": pbx.host,
            "port": str(pbx.port),
            "username": pbx.username,
            "secret": pbx.secret,
        },
    )
    with app.app_context(), sessions().begin() as s:
        node = s.scalars(select(PbxNode)).one()
        s.add_all(
            Seat(node_id=node.id, extension=c.extension, secret=sealer().seal(c.secret))
            for c in phone_credentials(sandbox_seats.settings)
        )
    admin.post("/admin/seats", {"node_id": str(node.id), "first": EXTENSION})
    page = admin.get("/admin/seats").get_data(as_text=True)
    row = re.search(rf'data-ext="{EXTENSION}">.*?<code class="secret">([^<]+)</code>', page, re.S)
    secret = row.group(1)  # what the admin reads off the page and types into the phone
    response = admin.post(f"/admin/nodes/{node.id}/provision")
    assert b"reloaded pjsip-seats.conf" in admin.get(response.headers["Location"]).data

    root = paths(sandbox_seats.settings).root
    phone = Phone(root, EXTENSION, secret, sandbox_seats.settings.pbx_address)
    try:
        assert phone.registration() == "ok"
        live = admin.get(f"/admin/nodes/{node.id}/registrations.json").get_json()
        assert live["reachable"]
        assert live["contacts"][EXTENSION].startswith(f"registered (sip:{EXTENSION}")
    finally:
        phone.stop()

    wrong = Phone(root, EXTENSION, secret[::-1], sandbox_seats.settings.pbx_address)
    try:
        assert "401" in wrong.registration()
    finally:
        wrong.stop()

    with app.app_context(), sessions()() as s:
        seat_id = s.scalar(select(Seat.id).where(Seat.extension == EXTENSION))
    admin.post(f"/admin/seats/{seat_id}/enabled", {"enabled": "0"})
    admin.post(f"/admin/nodes/{node.id}/provision")
    disabled = Phone(root, EXTENSION, secret, sandbox_seats.settings.pbx_address)
    try:
        assert "401" in disabled.registration()
    finally:
        disabled.stop()


def _registrations_once_listed(admin, node_id: int, extension: str, tries: int = 50) -> dict:
    """The seats page's registrations of the node once they list ``extension``: FreeSWITCH answers the
    REGISTER before its (queued) registration row is written, so the first ask may come too early."""
    for _ in range(tries):
        live = admin.get(f"/admin/nodes/{node_id}/registrations.json").get_json()
        if extension in live["contacts"]:
            break
        time.sleep(0.1)
    return live


@pytest.fixture
def served(app, sandbox):
    """The app on the address the sandbox's FreeSWITCH node asks over mod_xml_curl (``web_host:web_port``)."""
    sandbox_up(sandbox.settings, "freeswitch")
    server = make_server(sandbox.settings.web_host, sandbox.settings.web_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sandbox
    server.shutdown()
    thread.join(5)


def test_admin_made_seat_registers_on_freeswitch_from_the_database(app, as_role, served):
    """The FreeSWITCH node fetches the seat over mod_xml_curl with the node row's secret (its ESL password):
    the seat is in no static file; the seats page reads the node's registrations over ESL."""
    settings = served.settings
    admin = as_role("admin")
    admin.get("/admin/seats")
    admin.post("/admin/nodes", {"name": XML_CURL_NODE, "kind": "freeswitch", "host": "127.0.0.1",
                                "port": str(settings.esl_port), "username": "",
                                "secret": freeswitch_secrets(settings).esl_password})
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    admin.post("/admin/seats", {"node_id": str(node_id), "first": EXTENSION})
    page = admin.get("/admin/seats").get_data(as_text=True)
    secret = re.search(rf'data-ext="{EXTENSION}">.*?<code class="secret">([^<]+)</code>', page, re.S).group(1)

    root = paths(settings).root
    phone = Phone(root, EXTENSION, secret, settings.freeswitch_address)
    try:
        assert phone.registration() == "ok"
        live = _registrations_once_listed(admin, node_id, EXTENSION)
        assert live["reachable"], live
        assert live["contacts"][EXTENSION].startswith("registered (sofia/"), live
        assert "fsagent001" in live["contacts"]  # the sandbox's phones, registered to the same node
    finally:
        phone.stop()

    with app.app_context(), sessions()() as s:
        seat_id = s.scalar(select(Seat.id).where(Seat.extension == EXTENSION))
    admin.post(f"/admin/seats/{seat_id}/enabled", {"enabled": "0"})
    disabled = Phone(root, EXTENSION, secret, settings.freeswitch_address)
    try:
        assert disabled.registration() != "ok"  # no static fallback while the web app answers
    finally:
        disabled.stop()
