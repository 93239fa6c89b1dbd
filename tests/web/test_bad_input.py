"""Inputs that once gave a 500: each gets a clear message, on both databases."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pytest
from openpyxl import Workbook

from tests.web.test_campaigns import FORM
from tests.web.test_import import _upload_bytes


def _broken_xlsx() -> bytes:
    """A real workbook whose sheet XML is cut off in the middle of a row."""
    wb = Workbook()
    wb.active.append(["phone"])
    wb.active.append(["+442079460001"])
    good = io.BytesIO()
    wb.save(good)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b"<sheetData>") + 20]
            dst.writestr(item, data)
    return out.getvalue()


@dataclass(frozen=True)
class Case:
    role: str
    method: str
    url: str
    message: str
    form: dict | None = None
    follow: bool = False


CASES = {
    "calls to year 9999": Case("sup", "get", "/calls?to=9999-12-31", "to: give a date between"),
    "calls from year 0001": Case("sup", "get", "/calls?from=0001-01-01", "from: give a date between"),
    "calls huge page": Case("sup", "get", f"/calls?page={10**30}", "number out of range"),
    "calls deep page": Case("sup", "get", "/calls?page=99999999", "page must be between 0 and 100000"),
    "calls huge campaign id": Case("sup", "get", f"/calls?campaign_id={2**63}", "number out of range"),
    "report in year 9999": Case(
        "sup", "get", "/reports/?from=9999-12-31&to=9999-12-31", "give a date between"
    ),
    "report export in year 9999": Case("sup", "get", "/reports/export.csv?from=9999-12-31", "give a date"),
    "report endpoint argument": Case("sup", "get", "/reports/?endpoint=x", "Reports"),
    "callback at 9999-12-31": Case(
        "agent1",
        "post",
        "/agent/dispose",
        "a callback more than a year ahead is not a callback",
        {"attempt_id": "x", "disposition_id": "1", "callback_at": "9999-12-31T23:59", "tz_offset_min": "-60"},
    ),
    "callback with a huge offset": Case(
        "agent1",
        "post",
        "/agent/dispose",
        "your browser sent an impossible time zone offset",
        {
            "attempt_id": "x",
            "disposition_id": "1",
            "callback_at": "2030-01-01T10:00",
            "tz_offset_min": "99999999",
        },
    ),
    "xlsx with malformed XML": Case(
        "sup", "upload", "broken.xlsx", "Cannot read broken.xlsx: not a readable Excel workbook"
    ),
    "40-character caller ID": Case(
        "sup", "post", "/campaigns/new", "caller ID is too long (at most 32 characters)",
        {**FORM, "caller_id": "1" * 40}
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_message_not_a_500(as_role, case: Case):
    client = as_role(case.role)
    if case.method == "upload":
        token = _upload_bytes(client, _broken_xlsx(), case.url)
        response = client.get(f"/lists/import/{token}/mapping", follow_redirects=True)
    elif case.method == "get":
        response = client.get(case.url)
    else:
        client.get("/agent/" if case.role == "agent1" else "/campaigns/new")
        response = client.post(case.url, case.form, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body
    assert case.message in body, body[:2000]
