"""WAV inspection on real files (written by Python's ``wave`` and by sox): complete, header-only,
truncated mid-data, and left open by a crash (then finalised so that ``wave`` and sox read all of it)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from store.enums import RecordingStatus
from web.calls.wav import check_wav, inspect_wav

RATE = 8000
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


def _wave_file(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"\x10\x20" * int(RATE * seconds))
    return path


def _sox_file(path: Path, seconds: float) -> Path:
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path),
                    "synth", str(seconds), "sine", "440"], check=True)
    return path


def _crash(path: Path, size_field: int) -> None:
    """What a writer killed mid-call leaves: the audio on disk, both size fields as written at open."""
    data = bytearray(path.read_bytes())
    data_at = data.index(b"data")
    data[4:8] = struct.pack("<I", size_field)
    data[data_at + 4:data_at + 8] = struct.pack("<I", size_field)
    path.write_bytes(bytes(data))


def test_a_complete_file_is_ok_with_its_size_and_duration(tmp_path):
    path = _wave_file(tmp_path / "a.wav", 1.5)
    check = inspect_wav(path)
    assert check.status is RecordingStatus.OK
    assert check.size_bytes == path.stat().st_size == 44 + 2 * RATE * 3 // 2
    assert check.duration_s == pytest.approx(1.5)


@needs_sox
def test_a_complete_sox_file_is_ok(tmp_path):
    check = inspect_wav(_sox_file(tmp_path / "s.wav", 2.0))
    assert check.status is RecordingStatus.OK
    assert check.duration_s == pytest.approx(2.0)


def test_a_header_only_file_is_empty(tmp_path):
    path = _wave_file(tmp_path / "h.wav", 0)
    assert path.stat().st_size == 44
    check = check_wav(path)
    assert (check.status, check.size_bytes, check.duration_s) == (RecordingStatus.EMPTY, 44, 0.0)
    (tmp_path / "zero.wav").write_bytes(b"")
    assert inspect_wav(tmp_path / "zero.wav").status is RecordingStatus.EMPTY


def test_a_header_only_file_left_open_is_empty(tmp_path):
    path = _wave_file(tmp_path / "h.wav", 0)
    _crash(path, 0xFFFFFFFF)
    assert check_wav(path).status is RecordingStatus.EMPTY


def test_a_file_truncated_mid_data_is_damaged_and_left_alone(tmp_path):
    path = _wave_file(tmp_path / "t.wav", 1.0)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2 + 1])
    check = check_wav(path)
    assert check.status is RecordingStatus.DAMAGED
    assert "truncated" in check.reason
    assert check.size_bytes == len(whole) // 2 + 1
    assert path.read_bytes() == whole[: len(whole) // 2 + 1]  # never "repaired" into a shorter lie


@pytest.mark.parametrize("size_field", [0, 0xFFFFFFFF])
def test_a_header_left_open_by_a_crash_is_finalised_from_the_file_length(tmp_path, size_field):
    path = _wave_file(tmp_path / "c.wav", 2.0)
    with path.open("ab") as fh:
        fh.write(b"\x33")  # the writer died mid-sample: half a frame
    _crash(path, size_field)
    before = inspect_wav(path)
    assert before.status is RecordingStatus.DAMAGED
    assert before.unfinalised
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    check = check_wav(path)
    assert path.stat().st_mtime_ns == 1_700_000_000_000_000_000  # still when the PBX last wrote it
    assert check.status is RecordingStatus.OK
    assert check.duration_s == pytest.approx(2.0)
    assert check.size_bytes == path.stat().st_size == 44 + 2 * RATE * 2
    with wave.open(str(path)) as w:
        assert w.getnframes() == RATE * 2


@needs_sox
def test_a_sox_file_left_open_is_finalised_and_sox_reads_all_of_it(tmp_path):
    path = _sox_file(tmp_path / "c.wav", 3.0)
    _crash(path, 0)
    assert check_wav(path).status is RecordingStatus.OK
    seconds = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout
    assert float(seconds) == pytest.approx(3.0)


def test_a_header_whose_last_update_lags_the_audio_is_finalised(tmp_path):
    """A writer that rewrites its header now and then, killed between two rewrites."""
    path = _wave_file(tmp_path / "l.wav", 1.0)
    with path.open("ab") as fh:
        fh.write(b"\x10\x20" * RATE)  # one more second appended after the last header update
    assert inspect_wav(path).unfinalised
    assert check_wav(path).duration_s == pytest.approx(2.0)


def test_not_a_wav_and_no_file(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    assert inspect_wav(tmp_path / "x.wav").status is RecordingStatus.DAMAGED
    (tmp_path / "y.wav").write_bytes(b"ID3\x03" + b"\0" * 200)
    assert inspect_wav(tmp_path / "y.wav").status is RecordingStatus.DAMAGED
    missing = inspect_wav(tmp_path / "gone.wav")
    assert (missing.status, missing.size_bytes) == (RecordingStatus.MISSING, None)
