"""A report table as a PDF (reportlab), readable in Chinese and English.

The text is set in WenQuanYi Zen Hei (Debian's ``fonts-wqy-zenhei``, which ``scripts/bootstrap`` and
the web image install), a TrueType font with both Latin and CJK characters (Droid Sans Fallback has
no Latin, and reportlab does not fall back per character), embedded as a subset so any reader
shows Chinese names and reasons. Without that file the PDF names Adobe's STSong-Light
instead, which readers with Adobe's Asian fonts show (others show boxes). Cells are plain text
(no reportlab ``Paragraph`` markup), so a name like ``<b>`` prints as typed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

CJK_TTF = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CID_FONT = "STSong-Light"


def _font() -> str:
    """The registered name of the font to set the text in (registered once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    name = "WenQuanYiZenHei" if CJK_TTF.is_file() else CID_FONT
    if name not in pdfmetrics.getRegisteredFontNames():
        font = TTFont(name, str(CJK_TTF), subfontIndex=0) if name != CID_FONT else UnicodeCIDFont(name)
        pdfmetrics.registerFont(font)
    return name


def table_pdf(title: str, subtitle: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One landscape A4 page set (more if the table is long) with a title, a subtitle and the table,
    its last row (a total) in bold lines."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import Preformatted

    font = _font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=title, leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm)
    heading = ParagraphStyle("heading", fontName=font, fontSize=16, leading=20)
    note = ParagraphStyle("note", fontName=font, fontSize=10, leading=13)
    data = [[str(h) for h in header], *[["" if v is None else str(v) for v in row] for row in rows]]
    table = Table(data, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black),
    ]))
    doc.build([Preformatted(title, heading), Preformatted(subtitle, note), Spacer(1, 4 * mm), table])
    return buf.getvalue()
