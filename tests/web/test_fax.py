"""Fax pages: a document uploaded through the form is queued for a runner (bad files and numbers get a
message, never a 500), the outbox shows it; the inbox shows received faxes, their PDF, assignment and notes.
The runner sending and receiving for real is ``tests/integration/test_fax_runner_live.py``."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from store.enums import FaxInStatus, FaxStatus
from store.models import FaxIn, FaxOut, User
from tests.faxdoc import pdf
from web.db import sessions

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def send(client, data: bytes, name: str = "letter.pdf", number: str = "+12015900001"):
    return client.post("/fax/", {"document": (io.BytesIO(data), name), "destination": number},
                       content_type="multipart/form-data")


def test_an_upload_is_queued_and_listed(as_role, app: Flask) -> None:
    sup = as_role("sup")
    assert sup.get("/fax/").status_code == 200
    response = send(sup, pdf(1), number="(201) 590-0001")
    assert response.status_code == 302
    with app.app_context(), sessions()() as session:
        fax = session.scalars(select(FaxOut)).one()
        assert (fax.destination, fax.document_name, fax.status) == ("+12015900001", "letter.pdf",
                                                                   FaxStatus.QUEUED)
        assert fax.document.startswith(b"%PDF")
    page = sup.get("/fax/").get_data(as_text=True)
    assert "+12015900001" in page
    assert '<td class="status">queued</td>' in page


def test_a_png_keeps_its_kind_whatever_its_name(as_role, app: Flask) -> None:
    assert send(as_role("sup"), PNG, name="scan.jpeg").status_code == 302
    with app.app_context(), sessions()() as session:
        assert session.scalars(select(FaxOut.document_name)).one() == "scan.png"


@pytest.mark.parametrize(("data", "name", "number", "message"), [
    (b"", "empty.pdf", "+12015900001", "choose a PDF, PNG or TIFF"),
    (b"MZ\x90\x00 an executable", "letter.pdf", "+12015900001", "not a PDF, PNG or TIFF"),
    (b"hello", "notes.txt", "+12015900001", "not a PDF, PNG or TIFF"),
    (PNG, "scan.png", "", "a phone number is required"),
    (PNG, "scan.png", "fax me", "is not a phone number"),
    (PNG, "scan.png", "+1 000 000 0000", "is not a valid phone number"),
])
def test_bad_input_gets_a_message_not_a_500(as_role, app: Flask, data: bytes, name: str, number: str,
                                            message: str) -> None:
    response = send(as_role("sup"), data, name, number)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context(), sessions()() as session:
        assert session.scalars(select(FaxOut)).first() is None


def test_no_file_at_all_gets_a_message(as_role) -> None:
    response = as_role("sup").post("/fax/", {"destination": "+12015900001"},
                                   content_type="multipart/form-data")
    assert response.status_code == 400
    assert "choose a PDF, PNG or TIFF" in response.get_data(as_text=True)


def test_the_inbox_shows_the_pdf_and_keeps_assignment_and_notes(as_role, app: Flask) -> None:
    document = pdf(1)
    with app.app_context(), sessions().begin() as session:
        session.add(FaxIn(status=FaxInStatus.RECEIVED, sender="12125550123", did="12125550199", pages=1,
                          pdf=document, received_at=datetime.now(UTC)))
        session.add(FaxIn(status=FaxInStatus.BUSY, sender="12125550124", received_at=datetime.now(UTC)))
        qa_id = session.scalars(select(User.id).where(User.username == "qa")).one()
    sup = as_role("sup")
    page = sup.get("/fax/inbox").get_data(as_text=True)
    assert "12125550123" in page
    assert "Turned away busy (every fax line taken): 1" in page
    with app.app_context(), sessions()() as session:
        fax_id = session.scalars(select(FaxIn.id).where(FaxIn.status == FaxInStatus.RECEIVED)).one()
    shown = sup.get(f"/fax/inbox/{fax_id}.pdf")
    assert shown.status_code == 200
    assert shown.mimetype == "application/pdf"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert shown.data == document
    saved = sup.post(f"/fax/inbox/{fax_id}", {"assigned_to": str(qa_id), "notes": "call back"})
    assert saved.status_code == 302
    with app.app_context(), sessions()() as session:
        fax = session.get(FaxIn, fax_id)
        assert (fax.assigned_to, fax.notes) == (qa_id, "call back")
    assert sup.post(f"/fax/inbox/{fax_id}", {"assigned_to": "999999"}).status_code == 400
    assert sup.get("/fax/inbox/999999.pdf").status_code == 404


def test_who_may_use_fax_follows_the_permissions_table(as_role) -> None:
    assert as_role("admin").get("/fax/").status_code == 200
    assert as_role("agent1").get("/fax/").status_code == 403
    assert as_role("qa").get("/fax/inbox").status_code == 403
