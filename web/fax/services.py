"""Faxes in the admin: an upload checked and queued for a runner, the inbox's assignment and notes.

The web app never converts or sends: it checks that the upload is a PDF, PNG
or TIFF (by its first bytes, not its name) and the number is a real one, and
queues the fax in the database; the runner of a node takes it from there
(``runner.faxes``).
"""

from __future__ import annotations

from dataclasses import dataclass

from store.models import FaxOut
from web.phones import DEFAULT_REGION, e164

#: An upload larger than this is refused (a fax of a few dozen pages is a few MB).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
#: What a document may be: its first bytes, and the file suffix the runner's converter goes by.
_MAGIC = ((b"%PDF-", ".pdf"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))


class FaxError(ValueError):
    """The form cannot be queued; the message says what to fix."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def document_suffix(data: bytes) -> str:
    """The document's kind by its first bytes: ``.pdf``, ``.png`` or ``.tif``."""
    for magic, suffix in _MAGIC:
        if data.startswith(magic):
            return suffix
    raise FaxError("document: not a PDF, PNG or TIFF file")


def destination(text: str, region: str = DEFAULT_REGION) -> str:
    """The number in E.164, or a FaxError (a national number is read in ``region``)."""
    try:
        return e164(text, "destination", region)
    except ValueError as exc:
        raise FaxError(str(exc)) from None


def new_fax(upload: Upload | None, number: str, user_id: int | None) -> FaxOut:
    """The fax to queue (not yet added to a session), or a FaxError saying what is wrong."""
    to = destination(number)
    if upload is None or not upload.data:
        raise FaxError("document: choose a PDF, PNG or TIFF file to send")
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise FaxError(f"document: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    suffix = document_suffix(upload.data)
    stem = upload.name.rsplit("/", 1)[-1].rsplit(".", 1)[0][:200] or "document"
    return FaxOut(destination=to, document_name=stem + suffix, document=upload.data, created_by=user_id)
