"""Fax as a user does it, on the live sandbox: a one-page PDF uploaded in the admin is sent by the node's
runner to the world's fax machine (status sent, its pages counted); a fax the world sends to the pbx's fax
number reaches the inbox, and its PDF downloads with the page sent."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lab.sandbox import faxes, world
from runner import faxdocs
from store.enums import FaxInStatus, FaxStatus, PbxKind
from store.models import FaxIn, FaxOut
from tests.faxdoc import pdf
from tests.integration.campaign_kit import BOTH_PBXES, kit_on
from tests.integration.test_fax_live import CALLER, _world_copy, _world_sends
from tests.web.test_fax import send

pytestmark = pytest.mark.sandbox
FAX_S = 90.0  # a fine page takes ~12 s; a retrain at a lower speed takes longer


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """One database is enough here: the web and runner tests cover both."""
    return f"sqlite:///{tmp_path / 'switchboard.sqlite3'}"


def _pages(data: bytes, work: Path) -> list[faxdocs.Page]:
    target = work / f"{uuid.uuid4().hex[:8]}.pdf"
    target.write_bytes(data)
    return faxdocs.rasterise(target)


#: Where the world dials each node's fax number, and that number.
FAX_NUMBER = {PbxKind.ASTERISK: (f"PJSIP/{world.PBX_FAX_DID}@pbx", world.PBX_FAX_DID),
              PbxKind.FREESWITCH: (f"PJSIP/{world.FREESWITCH_FAX_DID}@freeswitch", world.FREESWITCH_FAX_DID)}


@BOTH_PBXES
def test_the_admin_sends_a_fax_to_the_world_and_receives_one(as_role, sandbox, settings, tmp_path, kind):
    (tmp_path / "kit").mkdir()
    kit = kit_on(sandbox, tmp_path / "kit", kind, url=settings.sqlalchemy_url)
    faxes.sync(sandbox.settings)
    endpoint, did = FAX_NUMBER[kind]
    sup = as_role("sup")
    document = pdf(1)
    number = world.world_number(world.Outcome.FAX, serial=int(uuid.uuid4().int % 1000))
    assert send(sup, document, number=number).status_code == 302
    tiff = tmp_path / "doc.tif"
    (tmp_path / "doc.pdf").write_bytes(document)
    assert faxdocs.to_tiff(tmp_path / "doc.pdf", tiff) == 1
    runner = kit.runner()
    runner.start()
    try:  # the world's fax to us goes while the runner sends ours: two of the node's four lines
        sent = asyncio.run(_world_sends(sandbox, endpoint, _world_copy(sandbox, tiff)))
        assert (sent["Status"], sent["Pages"]) == ("SUCCESS", "1")
        kit.wait_for("the fax in the inbox", lambda s: s.scalar(select(func.count()).select_from(FaxIn)) == 1,
                     runner, timeout=30)
        kit.wait_for("the fax sent", lambda s: s.scalar(select(FaxOut.status)) in (FaxStatus.SENT,
                                                                                     FaxStatus.FAILED),
                     runner, timeout=FAX_S)
    finally:
        runner.stop()
        kit.close()

    outbox = sup.get("/fax/").get_data(as_text=True)
    assert '<td class="status">sent</td>' in outbox
    assert '<td class="pages">1 / 1</td>' in outbox
    with kit.sessions() as s:
        fax_in = s.scalars(select(FaxIn)).one()
        assert (fax_in.status, fax_in.sender, fax_in.did, fax_in.pages) == (
            FaxInStatus.RECEIVED, CALLER, did, 1)
    assert CALLER in sup.get("/fax/inbox").get_data(as_text=True)
    shown = sup.get(f"/fax/inbox/{fax_in.id}.pdf")
    assert shown.mimetype == "application/pdf"
    faxdocs.to_pdf(tmp_path / "doc.tif", tmp_path / "sent.pdf")
    got, want = _pages(shown.data, tmp_path), faxdocs.rasterise(tmp_path / "sent.pdf")
    assert len(got) == 1
    assert faxdocs.similarity(got[0], want[0]) >= 0.9
