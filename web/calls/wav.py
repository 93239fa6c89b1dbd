"""What a recording file really holds: its WAV header checked against its length, finalised after a crash.

A PBX writes a WAV header when it opens the file and fills in the two size
fields (RIFF and ``data``) when it closes it. A PBX or call killed mid-call
leaves those fields as written at open (0, or 0xFFFFFFFF for "unknown"); a
call that ended before any audio leaves a 44-byte header. Both look like a
normal file to a browser, which then plays silence. :func:`inspect_wav` says
which case a file is in; :func:`check_wav` also finalises an open header (the
audio is all there, only the sizes are missing) by rewriting the two fields
from the file's real length.

No database or Flask: the web process (when serving a file) and the scheduler
(a periodic sweep) both use it on the web host, which is the one that sees the files.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from store.enums import RecordingStatus

#: Size fields a writer leaves when it never got to close the file.
UNFINALISED = (0, 0xFFFFFFFF)
#: How far the ``data`` chunk is looked for (headers are tens of bytes; LIST/fact chunks a few hundred).
HEADER_SCAN = 64 * 1024


@dataclass(frozen=True)
class WavCheck:
    status: RecordingStatus
    size_bytes: int | None
    duration_s: float | None = None
    reason: str = ""
    #: The header's sizes were never written; :func:`finalise_wav` can write them from the file's length.
    unfinalised: bool = False
    data_offset: int = 0
    block_align: int = 0


def inspect_wav(path: Path) -> WavCheck:
    """Read-only: the file's status, size and duration (``fmt`` byte rate); bad content never raises."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(HEADER_SCAN)
    except FileNotFoundError:
        return WavCheck(RecordingStatus.MISSING, None, reason="no such file")
    except OSError as exc:
        return WavCheck(RecordingStatus.MISSING, None, reason=f"unreadable: {exc.strerror}")
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        if size == 0:
            return WavCheck(RecordingStatus.EMPTY, 0, 0.0, "zero-length file")
        return WavCheck(RecordingStatus.DAMAGED, size, reason="not a RIFF/WAVE file")
    riff_size = struct.unpack_from("<I", head, 4)[0]
    fmt: tuple[int, int] | None = None  # (byte rate, block align)
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, chunk_size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            if chunk_size < 16 or body + 16 > len(head):
                return WavCheck(RecordingStatus.DAMAGED, size, reason="short fmt chunk")
            _, _, _, byte_rate, block_align = struct.unpack_from("<HHIIH", head, body)
            fmt = (byte_rate, block_align)
        elif chunk_id == b"data":
            return _judge_data(size, riff_size, body, chunk_size, fmt)
        pos = body + chunk_size + (chunk_size & 1)
    if size <= 44:
        return WavCheck(RecordingStatus.EMPTY, size, 0.0, "header only, no data chunk")
    return WavCheck(RecordingStatus.DAMAGED, size, reason="no data chunk in the header")


def _judge_data(size: int, riff_size: int, data_offset: int, data_size: int,
                fmt: tuple[int, int] | None) -> WavCheck:
    if fmt is None or fmt[0] == 0 or fmt[1] == 0:
        return WavCheck(RecordingStatus.DAMAGED, size, reason="no usable fmt chunk before the data")
    byte_rate, block_align = fmt
    present = size - data_offset  # bytes of audio (and any trailing chunks) actually on disk
    # Open header: sizes never written, or written by a periodic update and then left behind by a
    # writer that kept appending audio (the data chunk ends where the RIFF says the file ends, short
    # of the real end).
    stale = data_size < present and data_offset + data_size + (data_size & 1) == riff_size + 8 < size
    if riff_size in UNFINALISED or data_size in UNFINALISED or stale:
        frames_bytes = present - present % block_align
        if frames_bytes <= 0:
            return WavCheck(RecordingStatus.EMPTY, size, 0.0, "header only (never finalised)",
                            unfinalised=present > 0, data_offset=data_offset, block_align=block_align)
        return WavCheck(RecordingStatus.DAMAGED, size, frames_bytes / byte_rate,
                        "header never finalised (the writer stopped before closing the file)",
                        unfinalised=True, data_offset=data_offset, block_align=block_align)
    if data_size > present:
        return WavCheck(RecordingStatus.DAMAGED, size, present / byte_rate,
                        f"truncated: header promises {data_size} bytes of audio, {present} on disk")
    if riff_size + 8 != size:
        return WavCheck(RecordingStatus.DAMAGED, size, data_size / byte_rate,
                        f"RIFF size {riff_size} does not match the file's {size} bytes")
    if data_size < block_align:
        return WavCheck(RecordingStatus.EMPTY, size, 0.0, "no audio frames")
    return WavCheck(RecordingStatus.OK, size, data_size / byte_rate)


def finalise_wav(path: Path, check: WavCheck) -> None:
    """Write the RIFF and ``data`` sizes a crash left unwritten, from the file's real length.

    Whole frames only: a partial last frame (the writer died mid-sample) is
    cut off, so the data size is a multiple of the block alignment. The file
    keeps its modification time: it says when the PBX last wrote audio (and
    callers use it to tell a file still being written).
    """
    if not check.unfinalised:
        raise ValueError("the header is not an unfinalised one")
    with path.open("r+b") as fh:
        stat = os.fstat(fh.fileno())
        size = stat.st_size
        present = size - check.data_offset
        data_size = present - present % check.block_align
        fh.truncate(check.data_offset + data_size)
        fh.seek(4)
        fh.write(struct.pack("<I", check.data_offset + data_size - 8))
        fh.seek(check.data_offset - 4)
        fh.write(struct.pack("<I", data_size))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def check_wav(path: Path) -> WavCheck:
    """:func:`inspect_wav`, finalising an unfinalised header first (only once the recording has ended)."""
    check = inspect_wav(path)
    if not check.unfinalised:
        return check
    try:
        finalise_wav(path, check)
    except OSError as exc:
        return WavCheck(RecordingStatus.DAMAGED, check.size_bytes, check.duration_s,
                        f"{check.reason}; cannot finalise it: {exc.strerror}")
    return inspect_wav(path)
