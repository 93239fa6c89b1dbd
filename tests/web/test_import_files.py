"""What real files look like: XLSX through the upload form, GBK and UTF-16 CSVs, broken files, odd numbers."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from store.enums import LeadStatus
from store.models import DncEntry, Lead
from tests.web.test_import import _dnc_upload, _run_import, _upload_bytes
from web.db import sessions
from web.leads import importer

CHINESE = "姓名,电话\n张伟,13800138000\n王芳,139 1234 5678\n李娜,+86 150 0000 1234\n"
CN_PHONES = ["+8613800138000", "+8613912345678", "+8615000001234"]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _leads(app) -> list[tuple[str, dict]]:
    with app.app_context(), sessions()() as s:
        return [(lead.phone, lead.fields) for lead in s.scalars(select(Lead).order_by(Lead.id))]


def test_xlsx_upload_through_the_web_form(app, as_role):
    sup = as_role("sup")
    data = _xlsx([["Name", "Mobile"], ["Ann", 447911123456], ["Bob", "+44 20 7946 0002"]])
    token = _upload_bytes(sup, data, "Leads.XLSX", list_name="Excel")
    status = _run_import(sup, token, {"col0": "field", "col1": "phone"})
    assert status["state"] == "done", status
    assert status["imported"] == 2, status
    assert _leads(app) == [("+447911123456", {"Name": "Ann"}), ("+442079460002", {"Name": "Bob"})]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-16-le", "utf-8-sig", "utf-8"])
def test_chinese_csv_in_every_encoding_excel_saves(app, as_role, encoding):
    sup = as_role("sup")
    token = _upload_bytes(sup, CHINESE.encode(encoding), "客户.csv", region="CN")
    status = _run_import(sup, token, {"col0": "field", "col1": "phone"})
    assert status["state"] == "done", status
    assert status["imported"] == 3, status
    assert _leads(app) == [(p, {"姓名": n}) for p, n in zip(CN_PHONES, ["张伟", "王芳", "李娜"], strict=True)]


def test_western_windows_csv_is_not_taken_for_chinese():
    text = "name,phone\nHélène Müller,+33 6 12 34 56 78\nRené Françoise,+33 6 12 34 56 79\n"
    assert importer.decode(text.encode("cp1252")) == text


_GOOD = "".join(f"+4420794600{i:02d},n{i}\n" for i in range(10))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("phone,name,phone\n+442079460001,a,b\n", "line 1: column 3 has the same name as column 1"),
        ("phone,Name,name\n+442079460001,a,b\n", "line 1: column 3 has the same name as column 2"),
        ('phone,name\n+442079460001,"Ann\n+442079460002,Bob\n', "line 2: a quote is opened and never closed"),
    ],
)
def test_broken_csv_is_refused_on_the_mapping_page(as_role, text, error):
    sup = as_role("sup")
    token = _upload_bytes(sup, text.encode(), "broken.csv")
    page = sup.get(f"/lists/import/{token}/mapping", follow_redirects=True)
    assert error in page.get_data(as_text=True)


def test_an_unterminated_quote_past_the_preview_fails_the_import(app, as_role):
    sup = as_role("sup")
    text = "phone,name\n" + _GOOD + '+442079460099,"Zed\n+442079460098,Yan\n'
    token = _upload_bytes(sup, text.encode(), "broken.csv")
    status = _run_import(sup, token, {"col0": "phone"})
    assert status["state"] == "failed", status
    assert status["error"] == "line 12: a quote is opened and never closed", status
    assert _leads(app) == []


def test_duplicate_xlsx_header_is_refused(tmp_path):
    (tmp_path / "d.xlsx").write_bytes(_xlsx([["phone", "phone"], ["+442079460001", "+442079460002"]]))
    with pytest.raises(importer.FileError, match="line 1: column 2 has the same name as column 1"):
        importer.read_table(tmp_path / "d.xlsx", "d.xlsx")


@pytest.mark.parametrize(
    "cell",
    [
        "+19347421438,1",
        "$19347421438",
        "+19347421438\r\n",
        "+19347421438\n",
        "+1 934 742 1438 ext. 5",
        "1-800-FLOWERS",
        "+1\t9347421438",
        "++19347421438",
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_cell_that_is_not_a_plain_number_is_rejected(tmp_path, cell, kind):
    rows = [["phone"], [cell], ["+1 (934) 742-1439"]]
    if kind == "xlsx":
        (tmp_path / "l.xlsx").write_bytes(_xlsx(rows))
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        (tmp_path / "l.csv").write_text(buf.getvalue(), newline="")
    header, lines = importer.read_table(tmp_path / f"l.{kind}", f"l.{kind}")
    prepared = importer.prepare(lines, importer.guess_mapping(header), "US")
    assert [r["phone"] for r in prepared.rows] == ["+19347421439"]
    assert [(p.line, p.value.strip()) for p in prepared.problems] == [(2, cell.strip())]
    assert prepared.problems[0].reason.startswith("not a phone number")


def test_plain_numbers_with_separators_still_import():
    for text in ("+1 (934) 742-1438", "934.742.1438", " 934 742 1438 ", "(934) 742 1438"):
        result = importer.normalise(text, "US")
        assert isinstance(result, importer.Normalised), text
        assert result.phone == "+19347421438", text


def test_a_dnc_file_over_65535_numbers_uploads(app, as_role):
    """PostgreSQL takes at most 65 535 parameters a statement: the lookups and inserts go in chunks."""
    count = 70_000
    sup = as_role("sup")
    token = _upload_bytes(sup, b"phone\n+12125550001\n+12125550002\n", "leads.csv")
    _run_import(sup, token, {"col0": "phone"})
    with app.app_context(), sessions().begin() as s:
        s.add(DncEntry(phone="+12125550002"))
    text = "phone\n" + "".join(f"+1{2_125_550_000 + i}\n" for i in range(count))
    _, status = _dnc_upload(sup, text.encode(), region="US")
    assert (status["state"], status["imported"], status["already"]) == ("done", count - 1, 1), status
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(func.count()).select_from(DncEntry)) == count
        assert {x.phone: x.status for x in s.scalars(select(Lead))}["+12125550001"] is LeadStatus.DNC
