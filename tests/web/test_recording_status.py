"""Recording files checked on the web host: by the scheduler's periodic job over ended calls and when
one is asked for. An empty, damaged or missing file shows as such on the call log instead of a player
and is never served as playable audio; a header a crash left open is finalised first."""

from __future__ import annotations

import os
import struct
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from lab.faults import hold_sqlite_write_lock
from store.enums import Outcome, RecordingStatus
from store.models import Recording
from store.types import utcnow
from tests.web import seed
from web.campaigns import scheduler
from web.db import sessions

RATE = 8000
DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _wav(path: Path, seconds: float, *, left_open: bool = False, written_ago: float = 600) -> bytes:
    """A real WAV; ``left_open``: both size fields zero, as a PBX killed mid-call leaves them;
    last written ``written_ago`` seconds ago (a file the PBX is still writing is left alone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"\x10\x20" * int(RATE * seconds))
    if left_open:
        data = bytearray(path.read_bytes())
        data[4:8] = data[40:44] = struct.pack("<I", 0)
        path.write_bytes(bytes(data))
    written = time.time() - written_ago
    os.utime(path, (written, written))
    return path.read_bytes()


def _recordings(app, specs: list[tuple[str, bool, datetime]]) -> dict[str, int]:
    """One connected call per (path, ended, start); returns path -> recording id."""
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        campaign = seed.campaign(s)
        leads = seed.leads(s, campaign, [f"+4420794610{i:02d}" for i in range(len(specs))])
        for lead, (path, ended, start) in zip(leads, specs, strict=True):
            seed.attempt(s, lead, agent=agent, start=start, outcome=Outcome.CONNECTED, talk_s=30,
                         ended=ended, recording=path)
        s.flush()
        return {r.path: r.id for r in s.scalars(select(Recording))}


def _row(app, recording_id: int) -> Recording:
    with app.app_context(), sessions()() as s:
        return s.get(Recording, recording_id)


def test_an_empty_recording_shows_as_empty_and_is_not_served(app, as_role, settings):
    root = settings.recordings_dir
    header_only = _wav(root / "1" / "empty.wav", 0)
    assert len(header_only) == 44
    _wav(root / "1" / "fine.wav", 1.0)
    ids = _recordings(app, [("1/empty.wav", True, DAY), ("1/fine.wav", True, DAY + timedelta(minutes=1))])
    sup = as_role("sup")
    empty = sup.get(f"/recordings/{ids['1/empty.wav']}")
    assert empty.status_code == 410
    assert b"empty" in empty.data
    assert not empty.data.startswith(b"RIFF")
    assert sup.get(f"/recordings/{ids['1/empty.wav']}/download").status_code == 410
    assert sup.get(f"/recordings/{ids['1/fine.wav']}").status_code == 200
    row = _row(app, ids["1/empty.wav"])
    assert (row.status, row.size_bytes) == (RecordingStatus.EMPTY, 44)
    page = sup.get("/calls").get_data(as_text=True)
    assert 'class="recording-empty"' in page
    assert f"/recordings/{ids['1/empty.wav']}\"" not in page  # no player, no download link
    assert f"/recordings/{ids['1/fine.wav']}\"" in page  # the good one still has its player


def test_a_recording_left_open_by_a_crash_is_finalised_when_played(app, as_role, settings):
    _wav(settings.recordings_dir / "2" / "open.wav", 2.0, left_open=True)
    ids = _recordings(app, [("2/open.wav", True, DAY)])
    played = as_role("qa").get(f"/recordings/{ids['2/open.wav']}")
    assert played.status_code == 200
    assert struct.unpack_from("<II", played.data, 4)[0] == len(played.data) - 8
    assert struct.unpack_from("<I", played.data, 40)[0] == 2 * RATE * 2
    row = _row(app, ids["2/open.wav"])
    assert (row.status, row.size_bytes, float(row.duration_s)) == (RecordingStatus.OK, 44 + 4 * RATE, 2.0)


def test_the_scheduler_job_checks_ended_calls_recordings(app, as_role, settings):
    root = settings.recordings_dir
    now = utcnow()
    _wav(root / "3" / "ok.wav", 1.0)
    _wav(root / "3" / "empty.wav", 0)
    _wav(root / "3" / "crashed.wav", 1.5, left_open=True)
    truncated = _wav(root / "3" / "cut.wav", 1.0)
    (root / "3" / "cut.wav").write_bytes(truncated[:5000])
    os.utime(root / "3" / "cut.wav", (time.time() - 600, time.time() - 600))
    live = _wav(root / "3" / "live.wav", 1.0, left_open=True)  # still being written: never touched
    _wav(root / "3" / "stuck.wav", 1.0, left_open=True)  # its end never written, started 13 h ago
    closing = _wav(root / "3" / "closing.wav", 1.0, left_open=True)  # hung up 14 s ago: PBX may still write
    growing = _wav(root / "3" / "growing.wav", 1.0, left_open=True, written_ago=1)  # ended, file just written
    ids = _recordings(app, [
        ("3/ok.wav", True, now - timedelta(minutes=9)),
        ("3/empty.wav", True, now - timedelta(minutes=8)),
        ("3/crashed.wav", True, now - timedelta(minutes=7)),
        ("3/cut.wav", True, now - timedelta(minutes=6)),
        ("3/gone.wav", True, now - timedelta(minutes=5)),
        ("3/live.wav", False, now - timedelta(minutes=1)),
        ("3/stuck.wav", False, now - timedelta(hours=13)),
        ("3/closing.wav", True, now - timedelta(seconds=50)),  # ends 36 s after its start
        ("3/growing.wav", True, now - timedelta(minutes=4)),
    ])
    sched = scheduler.build(BackgroundScheduler, settings.sqlalchemy_url, recordings_dir=root)
    assert sched.get_job("check-recordings") is not None
    scheduler.check_recordings()
    got = {path: (r.status, r.size_bytes) for path, r in ((p, _row(app, i)) for p, i in ids.items())}
    assert got == {
        "3/ok.wav": (RecordingStatus.OK, 44 + 2 * RATE),
        "3/empty.wav": (RecordingStatus.EMPTY, 44),
        "3/crashed.wav": (RecordingStatus.OK, 44 + 3 * RATE),
        "3/cut.wav": (RecordingStatus.DAMAGED, 5000),
        "3/gone.wav": (RecordingStatus.MISSING, None),
        "3/live.wav": (None, None),
        "3/stuck.wav": (RecordingStatus.OK, 44 + 2 * RATE),
        "3/closing.wav": (None, None),
        "3/growing.wav": (None, None),
    }
    assert float(_row(app, ids["3/crashed.wav"]).duration_s) == 1.5
    assert "truncated" in _row(app, ids["3/cut.wav"]).status_reason
    for name, before in (("live", live), ("closing", closing), ("growing", growing)):
        assert (root / "3" / f"{name}.wav").read_bytes() == before
    sup = as_role("sup")
    assert sup.get(f"/recordings/{ids['3/cut.wav']}").status_code == 410  # not offered as playable...
    assert sup.get(f"/recordings/{ids['3/cut.wav']}/download").data == truncated[:5000]  # ...but kept
    page = sup.get("/calls").get_data(as_text=True)
    for status in ("empty", "damaged", "missing"):
        assert f'class="recording-{status}"' in page
    assert page.count("<audio") == 6  # ok, crashed and stuck (finalised), live, closing, growing (not yet)
    # A missing file that comes back (a mount remounted) is checked again when asked for.
    _wav(root / "3" / "gone.wav", 1.0)
    assert sup.get(f"/recordings/{ids['3/gone.wav']}").status_code == 200
    assert _row(app, ids["3/gone.wav"]).status is RecordingStatus.OK


def test_the_job_rides_out_a_locked_database_and_catches_up(app, settings, db_url):
    """SQLite held by a long import: the job gives up this round (no exception out of it); the file it
    already finalised is found finalised by the next round, which stores it."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's; PostgreSQL outages are the scheduler process tests'")
    root = settings.recordings_dir
    _wav(root / "4" / "crashed.wav", 1.0, left_open=True)
    ids = _recordings(app, [("4/crashed.wav", True, utcnow() - timedelta(minutes=3))])
    scheduler.build(BackgroundScheduler, settings.sqlalchemy_url, recordings_dir=root)
    with hold_sqlite_write_lock(db_url):
        scheduler.check_recordings()
    assert _row(app, ids["4/crashed.wav"]).status is None
    scheduler.check_recordings()
    row = _row(app, ids["4/crashed.wav"])
    assert (row.status, row.size_bytes) == (RecordingStatus.OK, 44 + 2 * RATE)
