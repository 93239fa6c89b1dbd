"""`switchboard run` gives the demo box a first admin, and only when there is none."""

from dataclasses import replace

from werkzeug.security import check_password_hash

from lab.run_all import DEMO_ADMIN, DEMO_ADMIN_SECRET, ensure_demo_admin
from settings import Settings
from store import migrate
from store import models as m
from store.db import make_engine, session_factory
from web.auth.bootstrap import create_admin


def _settings(tmp_path):
    settings = replace(Settings(instance_dir=tmp_path), secret_key="test")
    migrate.upgrade(settings.sqlalchemy_url, "head")
    return settings


def test_first_run_creates_admin_with_kept_secret(tmp_path):
    settings = _settings(tmp_path)
    assert ensure_demo_admin(settings)
    assert ensure_demo_admin(settings)
    secret = (tmp_path / DEMO_ADMIN_SECRET).read_text().strip()
    with session_factory(make_engine(settings.sqlalchemy_url))() as s:
        users = s.query(m.User).all()
    assert [u.username for u in users] == [DEMO_ADMIN]
    assert check_password_hash(users[0].password_hash, secret)
    assert (tmp_path / DEMO_ADMIN_SECRET).stat().st_mode & 0o077 == 0


def test_existing_admin_is_left_alone(tmp_path):
    settings = _settings(tmp_path)
    create_admin(settings.sqlalchemy_url, "boss", "a-long-password-1")
    assert not ensure_demo_admin(settings)
    assert not (tmp_path / DEMO_ADMIN_SECRET).exists()
