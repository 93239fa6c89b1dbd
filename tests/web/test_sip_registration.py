"""A real SIP phone (baresip) registers to the sandbox pbx with credentials made in the admin.

The sandbox's own phones (``agent001``...) are loaded as seats first, as the
sandbox asks (provisioning writes the database's seats alone), so they stay
registered; the seats file is put back as it was at the end (other tests
share the sandbox).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dialplans.render import render_asterisk, write_atomically
from lab.sandbox.credentials import phone_credentials
from lab.sandbox.layout import paths, provisioning_settings
from provisioning.seats import PJSIP_RELOAD, RELOADS, run_cli
from store.models import PbxNode, Seat
from tests.web.sipclient import Phone
from web.db import sessions

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
            Seat(node_id=node.id, extension=c.extension, secret=c.secret)
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
        assert live["reachable"] and live["contacts"][EXTENSION].startswith(f"registered (sip:{EXTENSION}")
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
