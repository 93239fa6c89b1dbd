"""Backups as an operator runs them (``switchboard backup ...``), on SQLite and on PostgreSQL: a dump of a
working centre, the database lost, the dump restored into a new one, and the admin logs in and finds the
campaign and the call with its recording playing; a file that is no dump restores nothing; old recordings
move to the archive and still play, young ones and retention are left alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, make_url, select

from lab.pgdb import recreate
from settings import Settings
from store.backup import secrets_open
from store.enums import Outcome, RecordingStatus
from store.models import Recording
from store.sealing import Sealer
from switchboard.cli import main
from tests.db.conftest import throwaway_pg_database
from tests.web import seed
from tests.web.conftest import Client
from web.app import create_app
from web.calls import archive as archive_module
from web.calls.services import archived_on
from web.db import sealer, sessions
from web.leaddata.destruction import Wiper, purge_due_recordings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, which it may lose (PostgreSQL: a throw-away database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'switchboard.sqlite3'}"
        return
    yield from throwaway_pg_database(request.getfixturevalue("pg_server_url"), "switchboard_backup")


def _cli(settings: Settings, *args: str):
    """``switchboard ARGS`` with the settings' database and folders, as the systemd units set them."""
    env = {"SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url, "SWITCHBOARD_SECRET_KEY": settings.secret_key,
           "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir),
           "SWITCHBOARD_RECORDINGS_DIR": str(settings.recordings_dir)}
    return CliRunner().invoke(main, list(args), env=env)


def _stop(app) -> None:
    """The web process goes away with its database (its live poller and pool)."""
    app.extensions["sb_live"].stop()
    app.extensions["sb_engine"].dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Recorded:
    """A campaign's connected call, recorded to ``path`` (relative to the recordings directory)."""

    path: str
    days_ago: float
    status: RecordingStatus | None = RecordingStatus.OK  # checked by the web host (None: not yet)
    profile: str = "us"


def _calls(app, settings: Settings, calls: list[Recorded]) -> dict[str, tuple[int, int]]:
    """The calls and their files where the PBX wrote them: path -> (call id, recording id)."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        found = {}
        for i, call in enumerate(calls):
            seed.wav(settings.recordings_dir / call.path, frames=8000)
            c = seed.campaign(s, f"Campaign {call.path}")
            c.compliance_profile = call.profile
            (lead,) = seed.leads(s, c, [f"+4420794610{i:02d}"])
            attempt = seed.attempt(s, lead, agent=agent, start=now - timedelta(days=call.days_ago),
                                   outcome=Outcome.CONNECTED, talk_s=30, recording=call.path)
            s.flush()
            recording = s.scalars(select(Recording).where(Recording.attempt_id == attempt.id)).one()
            recording.status = call.status
            found[call.path] = (recording.call_id or 0, recording.id)
        return found


def test_a_dump_restored_into_a_new_database_gives_the_admin_back_the_campaign_and_the_call(
        app, settings, db_url, pg_server_url, tmp_path):
    ((call_id, recording_id),) = _calls(app, settings, [Recorded("1/a.wav", 0.1, status=None)]).values()
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    stem, suffix = (make_url(db_url).database, ".pgdump") if db_url.startswith("postgresql") else (
        "switchboard", ".sqlite3")
    older = [dumps / f"{stem}-2026010{day}T023000Z{suffix}" for day in (1, 2, 3)]
    another = dumps / f"another-20260101T023000Z{suffix}"  # another database's: not this one's to prune
    for path in (*older, another):
        path.touch()
    done = _cli(settings, "backup", "database", "--to", str(dumps), "--keep", "2")
    assert done.exit_code == 0, done.output
    (dump,) = set(dumps.iterdir()) - {older[-1], another}  # its two newest kept, nothing half-written beside
    assert dump.name.startswith(f"{stem}-")
    assert dump.name.endswith(suffix)
    assert dump.stat().st_mode & 0o777 == 0o600  # password hashes and customers' numbers

    _stop(app)  # the database is lost
    if db_url.startswith("postgresql"):
        recreate(pg_server_url, db_url)
    else:
        for lost in tmp_path.glob("switchboard.sqlite3*"):
            lost.unlink()
    assert _tables(db_url) == []
    done = _cli(settings, "backup", "restore", str(dump))
    assert done.exit_code == 0, done.output
    assert "warning" not in done.output  # the instance's key opens the restored seat's secret
    assert not secrets_open(db_url, Sealer("another instance's key" * 2))

    restored = create_app(settings, TESTING=True)
    try:
        admin = Client(restored.test_client())
        assert admin.login("admin").status_code == 302  # the users came back with their passwords
        assert "Campaign 1/a.wav" in admin.get("/campaigns/").get_data(as_text=True)
        page = admin.get(f"/calls/{call_id}").get_data(as_text=True)
        assert f"/recordings/{recording_id}" in page
        played = admin.get(f"/recordings/{recording_id}")
        assert played.status_code == 200
        assert played.data.startswith(b"RIFF")
    finally:
        _stop(restored)

    again = _cli(settings, "backup", "restore", str(dump))  # over a database that is in use: refused
    assert again.exit_code == 1
    assert "already holds" in again.output
    assert "--force" in again.output
    tables = _tables(db_url)
    forced = _cli(settings, "backup", "restore", "--force", str(dump))  # the services stopped: replaced
    assert forced.exit_code == 0, forced.output
    assert _tables(db_url) == tables


def test_a_failed_dump_leaves_no_file_and_a_file_that_is_no_dump_restores_nothing(settings, db_url, tmp_path):
    dumps = tmp_path / "dumps"
    failed = _cli(settings, "backup", "database", "--to", str(dumps))  # no Switchboard database there yet
    assert failed.exit_code == 1
    assert ("no SQLite database at" if db_url.startswith("sqlite") else "not of a Switchboard database") in \
        failed.output
    assert list(dumps.iterdir()) == []  # not even the partial file

    notes = tmp_path / "notes.pgdump"
    notes.write_text("not a dump\n")
    done = _cli(settings, "backup", "restore", str(notes))
    assert done.exit_code == 1
    assert "is not a Switchboard dump" in done.output
    assert "nothing was restored" in done.output
    other = tmp_path / "other.sqlite3"  # a SQLite database, but not Switchboard's
    engine = create_engine(f"sqlite:///{other}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    done = _cli(settings, "backup", "restore", str(other))
    assert done.exit_code == 1
    assert ("not Switchboard's" if db_url.startswith("sqlite") else "is a sqlite dump and the database is "
            "postgresql") in done.output
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "switchboard.sqlite3").exists()
    else:
        assert _tables(db_url) == []


def test_old_recordings_move_to_the_archive_and_still_play(app, as_role, settings, db_url, monkeypatch):
    now = datetime.now(UTC)
    calls = _calls(app, settings, [
        Recorded("1/old.wav", 40), Recorded("1/young.wav", 2),
        Recorded("1/unchecked.wav", 40, status=None),  # the web host has not looked at it yet: left
        # China campaigns' recordings whose batch was destroyed: kept for the profile's 30 days, and one
        # whose time is up (the scheduler's purge deletes it while the archive copies it).
        Recorded("2/kept.wav", 20, profile="cn"), Recorded("2/due.wav", 31, profile="cn")])
    old_call, old = calls["1/old.wav"]
    young, unchecked, kept, due = (calls[p][1] for p in ("1/young.wav", "1/unchecked.wav", "2/kept.wav",
                                                         "2/due.wav"))
    with app.app_context(), sessions().begin() as s:
        s.get_one(Recording, kept).purge_after = now + timedelta(days=10)
        s.get_one(Recording, due).purge_after = now - timedelta(hours=1)

    def purge_between_copy_and_repoint(session, copies):  # as the scheduler's hourly job may
        with app.app_context(), sessions().begin() as s:
            assert purge_due_recordings(s, Wiper.of(sealer(), settings), now) == 1
        return repoint(session, copies)

    repoint = archive_module._repoint
    monkeypatch.setattr(archive_module, "_repoint", purge_between_copy_and_repoint)

    wrong = _cli(settings, "backup", "recordings", "--older-than", "7", "--archive", "/srv/elsewhere")
    assert wrong.exit_code == 1
    assert "recordings_archive_dir" in wrong.output
    done = _cli(settings, "backup", "recordings", "--older-than", "7")
    assert done.exit_code == 0, done.output
    assert "moved 2 recordings" in done.output  # old and kept; due was destroyed meanwhile: no copy left

    root, archive = settings.recordings_dir, settings.recordings_archive
    with app.app_context(), sessions()() as s:
        moved_on = archived_on(s.get_one(Recording, old))
    assert moved_on in (now.date(), now.date() + timedelta(days=1))  # the run may cross midnight (UTC)
    day = moved_on.isoformat()
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav")) == [
        "1/unchecked.wav", "1/young.wav"]
    assert sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*")) == [
        day, f"{day}/default", f"{day}/default/1", f"{day}/default/1/old.wav", f"{day}/default/2",
        f"{day}/default/2/kept.wav"]

    sup = as_role("sup")
    page = sup.get(f"/calls/{old_call}").get_data(as_text=True)
    assert f"archived on\n  <time datetime=\"{day}\">{day}</time>" in page
    played = sup.get(f"/recordings/{old}")
    assert played.status_code == 200
    assert played.data.startswith(b"RIFF")
    assert sup.get(f"/recordings/{young}").status_code == 200
    assert sup.get(f"/recordings/{unchecked}").status_code == 200

    with app.app_context(), sessions().begin() as s:  # retention over: destruction finds the archived copy
        wiper = Wiper.of(sealer(), settings)
        assert purge_due_recordings(s, wiper, now + timedelta(days=11)) == 1
    assert not (archive / day / "default" / "2" / "kept.wav").exists()
    assert (archive / day / "default" / "1" / "old.wav").exists()
