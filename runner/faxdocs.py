"""Fax documents on disk: an upload to TIFF-F for the PBX, a received TIFF to PDF for the admin.

Debian's tools do the work (``scripts/bootstrap`` installs them): Ghostscript
renders a PDF or PostScript upload straight into a G3 fax TIFF at fax
resolution and width (1728 dots), and libtiff-tools' ``tiff2pdf`` wraps a
received TIFF into a PDF a browser shows. An image upload goes through
ImageMagick's ``convert`` to PDF first, so every upload takes one path.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Fine fax resolution (dots per inch, horizontal x vertical) and the A4 page it fills.
RESOLUTION = "204x196"
TIMEOUT_S = 120.0
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"})


class FaxDocumentError(RuntimeError):
    """An upload that cannot be turned into a fax, or a received file that cannot be shown."""


def _run(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        raise FaxDocumentError(f"{argv[0]} is missing: run scripts/bootstrap (ghostscript, libtiff-tools)")
    # Our fixed tool names and our own paths, as an argv list (no shell): nothing to inject.
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)  # noqa: S603
    if done.returncode != 0:
        raise FaxDocumentError(f"{argv[0]} failed: {(done.stderr or done.stdout).strip()[:500]}")
    return done.stdout


def to_tiff(upload: Path, target: Path) -> int:
    """Render ``upload`` (PDF, PostScript or an image) into a G3 TIFF-F at ``target``; returns its pages."""
    source = upload
    if upload.suffix.lower() in IMAGE_SUFFIXES:
        source = target.with_suffix(".src.pdf")
        _run("convert", str(upload), str(source))
    try:
        _run("gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg3", f"-r{RESOLUTION}",
             "-sPAPERSIZE=a4", "-dFIXEDMEDIA", "-dPDFFitPage", f"-sOutputFile={target}", str(source))
    finally:
        if source != upload:
            source.unlink(missing_ok=True)
    return pages(target)


def to_pdf(tiff: Path, target: Path) -> None:
    """Wrap a received fax TIFF into a PDF (each page at its own resolution, so pages keep their size)."""
    _run("tiff2pdf", "-o", str(target), str(tiff))


def pages(tiff: Path) -> int:
    """The number of pages (TIFF directories) in ``tiff``."""
    return _run("tiffinfo", str(tiff)).count("TIFF Directory at offset")


@dataclass(frozen=True, slots=True)
class Page:
    """A rasterised page: 8-bit grey pixels, row-major."""

    width: int
    height: int
    pixels: bytes

    def crop(self, width: int, height: int) -> bytes:
        """The top-left ``width`` x ``height`` pixels."""
        return b"".join(self.pixels[row * self.width:row * self.width + width] for row in range(height))


def rasterise(pdf: Path, dpi: int = 36) -> list[Page]:
    """Every page of ``pdf`` at ``dpi``, to compare faxes page by page."""
    out = pdf.with_suffix(".page%03d.pgm")
    _run("gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pgmraw", f"-r{dpi}", f"-sOutputFile={out}",
         str(pdf))
    files = sorted(pdf.parent.glob(pdf.with_suffix("").name + ".page*.pgm"))
    try:
        return [_pgm_pixels(f.read_bytes()) for f in files]
    finally:
        for f in files:
            f.unlink()


def _pgm_pixels(data: bytes) -> Page:
    """The pixels of a binary PGM (P5) with maxval 255, as Ghostscript writes it (a comment line after P5)."""
    header: list[bytes] = []
    rest = data
    while len(header) < 4:
        line, _, rest = rest.partition(b"\n")
        if not line.startswith(b"#"):
            header += line.split()
    if header[0] != b"P5" or header[3] != b"255":
        raise FaxDocumentError("not an 8-bit binary PGM")
    return Page(int(header[1]), int(header[2]), rest)


def similarity(received: Page, sent: Page, max_shift: int = 12) -> float:
    """How alike a received page is to the page sent: 1 - their grey difference over their ink (1.0:
    identical, 0.0: no ink in common), at the best of ``max_shift`` downward shifts of the received
    page. A sending fax machine stamps a header line (station, date, page) above the page and pushes
    it down by those rows; the bottom rows that no longer fit are not compared. Normalised by the ink,
    not the page area: a fax page is mostly white, and a mean over the page would call any two alike."""
    width = min(received.width, sent.width)
    return max(_alike(received, sent, width, shift) for shift in range(max_shift + 1))


def _alike(received: Page, sent: Page, width: int, shift: int) -> float:
    height = min(received.height - shift, sent.height)
    if height <= 0 or width <= 0:
        return 0.0
    a = received.crop(width, height + shift)[shift * width:]
    b = sent.crop(width, height)
    ink = sum(255 - x for x in a) + sum(255 - y for y in b)
    if ink == 0:
        return 1.0
    return max(0.0, 1.0 - sum(abs(x - y) for x, y in zip(a, b, strict=True)) / ink)
