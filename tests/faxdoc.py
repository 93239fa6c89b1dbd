"""Fax test documents: PDFs of numbered pages that look nothing alike, rendered with Ghostscript."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

_PAGE = ("/Helvetica-Bold findfont 60 scalefont setfont 72 700 moveto (Page {n}) show "
         "{x} {y} 200 200 rectfill showpage\n")


def pdf(pages: int = 1) -> bytes:
    """A PDF of ``pages`` A4 pages."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "doc.ps", Path(work) / "doc.pdf"
        source.write_text("%!PS\n" + "".join(_PAGE.format(n=n, x=60 * n, y=80 * n)
                                              for n in range(1, pages + 1)))
        subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4",
                        f"-sOutputFile={target}", str(source)], check=True, capture_output=True)
        return target.read_bytes()
