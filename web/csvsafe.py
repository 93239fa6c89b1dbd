"""CSV and XLSX for spreadsheets: cells that a spreadsheet would run as a formula are written as text.

A lead file or an agent's name may hold ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0``;
Excel and LibreOffice evaluate a cell starting with ``= + - @``, tab or carriage
return. Prefixing such a cell with ``'`` (the OWASP advice) shows it as typed.
Numbers stay numbers: only strings are escaped, so ``-3`` from an int is kept
(and a ``Decimal`` is written to XLSX as a number, to CSV as its exact digits).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()


def safe_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], title: str = "Sheet") -> bytes:
    """The same table as one XLSX sheet; strings that look like formulas are stored as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([cell(v) for v in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
