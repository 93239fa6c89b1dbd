"""An uploaded recording made into a prompt both PBXes play: 8 kHz mono 16-bit PCM WAV, by ``sox``.

One conversion for every prompt the admin uploads (an IVR menu's, a survey's questions), so each
refuses the same bad files with the same sentences: not a WAV, over the size limit, unreadable as
audio, silent. Nothing the admin uploads reaches a PBX as sent: the PBX plays what sox wrote, and the
file is named by the program (``provisioning.prompts``), never by the upload.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - sox, with a fixed argument list and our own temp files
import tempfile
from pathlib import Path

from werkzeug.datastructures import FileStorage

MAX_PROMPT_BYTES = 5 * 1024 * 1024
#: How long sox may take on one prompt (a 5 MB WAV converts in well under a second).
SOX_TIMEOUT_S = 30


class PromptError(ValueError):
    """The upload cannot be a prompt; the message says why, for the person uploading it."""


def read_upload(upload: FileStorage | None) -> tuple[bytes, str] | None:
    """A form's file field: its bytes (at most one over the limit, enough to refuse it) and the name it
    was uploaded as; None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    return upload.read(MAX_PROMPT_BYTES + 1), Path(upload.filename).name[:128]


def convert(data: bytes, what: str = "the prompt") -> bytes:
    """The upload as 8 kHz mono 16-bit PCM WAV (sox reads WAV in any common encoding and rate);
    ``what`` names it in the errors (PromptError)."""
    if len(data) > MAX_PROMPT_BYTES:
        raise PromptError(f"{what} must be a WAV file under 5 MB")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise PromptError(f"{what} must be a WAV file (RIFF/WAVE): record or export it as .wav")
    sox = shutil.which("sox")
    if sox is None:
        raise PromptError(f"sox is not installed on the web server: {what} cannot be converted")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "upload.wav", Path(tmp) / "prompt.wav"
        source.write_bytes(data)
        argv = [sox, str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(target)]
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=SOX_TIMEOUT_S)  # noqa: S603  # nosec B603
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise PromptError(f"{what} could not be read as audio: upload a plain WAV recording") from None
        converted = target.read_bytes()
    if len(converted) <= 44 + 1600:  # a header and under 0.1 s of sound
        raise PromptError(f"{what} is empty: upload a recording of the message")
    return converted
