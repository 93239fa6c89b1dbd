"""The Alembic history builds the schema the models describe, both ways, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from click.testing import CliRunner
from setuptools import find_packages
from sqlalchemy import inspect, text

from store import migrate
from store.db import make_engine, normalize_url
from store.models import Base, Campaign

ROOT = Path(__file__).resolve().parents[2]


def _head() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_from_empty(db_url):
    assert migrate.current(db_url) is None
    assert _tables(db_url) == set()

    migrate.upgrade(db_url)

    assert migrate.current(db_url) == _head()
    assert _tables(db_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_and_upgrade_again(db_url):
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")

    assert migrate.current(db_url) is None
    assert _tables(db_url) == {"alembic_version"}

    migrate.upgrade(db_url)
    assert migrate.current(db_url) == _head()
    assert _tables(db_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(db_url):
    """Autogenerate against the migrated database finds nothing to do."""
    assert migrate.diff(db_url) != []  # the check can fail: an empty database differs
    migrate.upgrade(db_url)
    assert migrate.diff(db_url) == []


def test_cli_db_upgrade(db_url, tmp_path):
    from switchboard.cli import main

    result = CliRunner().invoke(
        main,
        ["db", "upgrade"],
        env={"SWITCHBOARD_DATABASE_URL": db_url, "SWITCHBOARD_INSTANCE_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert migrate.current(db_url) == _head()
    assert migrate.display_url(db_url) in result.output


def test_display_url_masks_the_password_and_postgres_urls_use_psycopg():
    shown = migrate.display_url("postgresql://sb:s3cret@db.example:5432/switchboard")
    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://sb:***@db.example:5432/switchboard"
    assert normalize_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg2://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_migrations_ship_in_the_package():
    """An installed wheel must contain env.py, the mako template and every revision."""
    packages = find_packages(str(ROOT), include=["store*"])
    assert "store.migrations" in packages
    assert "store.migrations.versions" in packages
    assert (migrate.MIGRATIONS_DIR / "script.py.mako").is_file()
    setup_cfg = (ROOT / "setup.cfg").read_text()
    assert "*.mako" in setup_cfg.split("[options.package_data]", 1)[1].split("[", 1)[0]


def test_sqlite_file_is_created_under_a_missing_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'instance' / 'nested' / 'switchboard.sqlite3'}"
    migrate.upgrade(url)
    assert migrate.current(url) == _head()


def test_trunk_names_campaigns_used_become_trunks_they_can_keep(db_url):
    """0017: a campaign's trunk was a bare name the PBX defined; it stays, as an unmanaged trunk."""
    migrate.upgrade(db_url, "0012")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:  # the model's table is 0012's: 0017 leaves campaigns as they are
            connection.execute(Campaign.__table__.insert(), [
                {"name": name, "mode": "progressive", "compliance_profile": "us", "trunk": trunk}
                for name, trunk in (("a", "carrier"), ("b", "carrier"), ("c", ""))])
        migrate.upgrade(db_url, "0017")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, managed FROM trunks")).all()
    finally:
        engine.dispose()
    assert [(name, bool(managed)) for name, managed in rows] == [("carrier", False)]
