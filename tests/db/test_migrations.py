"""The Alembic history builds the schema the models describe, both ways, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from setuptools import find_packages
from sqlalchemy import MetaData, Table, inspect, text

from settings import Settings
from store import migrate
from store.db import make_engine, normalize_url
from store.models import Base, Campaign
from store.models.knowledge import is_search_index
from store.sealing import Sealer, SecretUnreadable, instance_sealer

ROOT = Path(__file__).resolve().parents[2]


def _head() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        # The knowledge base's FTS5 tables (SQLite) are its search index, not models.
        return {t for t in inspect(engine).get_table_names() if not is_search_index(t)}
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


def _insert(conn, table: str, **values: object) -> int:
    """A row at an old revision: the given values, and any other required column filled by its type."""
    meta = MetaData()
    t = Table(table, meta, autoload_with=conn)
    sqlite = conn.dialect.name == "sqlite"  # reflected, a Uuid column is CHAR(32) there
    row = {k: v.hex if sqlite and isinstance(v, uuid.UUID) else v for k, v in values.items()}
    for c in t.columns:
        if c.name in row or c.primary_key or (c.nullable and c.name not in ("created_at", "updated_at")):
            continue
        python = c.type.python_type if not isinstance(c.type, sa.JSON) else dict
        row[c.name] = {str: "x", int: 0, bool: False, float: 0.0, dict: {},
                       Decimal: Decimal(0), datetime: datetime(2026, 11, 2, tzinfo=UTC)}.get(python, "x")
    result = conn.execute(t.insert().values(**row))
    key = result.inserted_primary_key[0] if result.inserted_primary_key else None
    return key if isinstance(key, int) else 0


def _cents(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def test_0018_moves_each_sale_amount_into_an_order_line_and_back(db_url):
    migrate.upgrade(db_url, "0017")
    engine = make_engine(db_url)
    attempt = uuid.uuid4()
    try:
        with engine.begin() as conn:
            team = _insert(conn, "teams", name="Team 1")
            user = _insert(conn, "users", username="a1", role="agent")
            agent = _insert(conn, "agents", user_id=user, team_id=team, state="logged_out")
            campaign = _insert(conn, "campaigns", name="C", mode="predictive", compliance_profile="us")
            lst = _insert(conn, "lead_lists", name="L", campaign_id=campaign)
            lead = _insert(conn, "leads", list_id=lst, campaign_id=campaign, phone="+15550001", status="new")
            ended = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
            for ident, amount in ((attempt, Decimal("49.90")), (uuid.uuid4(), None)):
                _insert(conn, "attempts", id=ident, lead_id=lead, campaign_id=campaign, agent_id=agent,
                        phone="+15550001", sale_amount=amount, ended_at=ended)
        migrate.upgrade(db_url, "0018")
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT agent_id, team_id, campaign_id, product_id, quantity, amount, payment FROM orders"
            )).all()
            # Raw SQL on SQLite reads a NUMERIC back as a float: compare cents.
            assert [(*r[:5], _cents(r[5]), r[6]) for r in rows] == [
                (agent, team, campaign, None, 1, Decimal("49.90"), "paid")]
            assert "sale_amount" not in {c["name"] for c in inspect(conn).get_columns("attempts")}
        migrate.downgrade(db_url, "0017")
        with engine.connect() as conn:
            amounts = conn.execute(sa.text("SELECT sale_amount FROM attempts")).scalars()
            assert sorted((_cents(a) for a in amounts), key=lambda a: a is None) == [Decimal("49.90"), None]
    finally:
        engine.dispose()


def _secrets(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            rows = [*c.execute(text("SELECT 'node', secret FROM pbx_nodes")),
                    *c.execute(text("SELECT 'seat', secret FROM seats"))]
        return {kind: secret for kind, secret in rows}
    finally:
        engine.dispose()


def test_0016_seals_existing_secrets_with_the_given_key_and_downgrade_opens_them(db_url, tmp_path):
    """Issue 13 finding 4: secrets in plaintext. A database from before 0016 holds them raw; after it only
    the instance's key opens them, and without the key the migration refuses (nothing half-sealed)."""
    migrate.upgrade(db_url, "0015")
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO pbx_nodes (id, name, kind, host, port, username, secret, enabled, "
                       "recordings_dir, created_at) VALUES (1, 'pbx', 'asterisk', 'h', 5038, 'u', "
                       "'ami-secret-plain', true, '', CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO seats (node_id, extension, name, secret, enabled, created_at) "
                       "VALUES (1, '8001', '', 'sip-password-plain', true, CURRENT_TIMESTAMP)"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="hold secrets: migrate with the instance's secrets key"):
        migrate.upgrade(db_url, "head")
    assert migrate.current(db_url) == "0015"
    assert _secrets(db_url) == {"node": "ami-secret-plain", "seat": "sip-password-plain"}

    sealer = instance_sealer(Settings(instance_dir=tmp_path / "instance"))
    migrate.upgrade(db_url, "head", sealer=sealer)
    sealed = _secrets(db_url)
    assert "plain" not in "".join(sealed.values())
    assert sealer.open(sealed["node"]) == "ami-secret-plain"
    assert sealer.open(sealed["seat"]) == "sip-password-plain"
    with pytest.raises(SecretUnreadable, match="cannot be opened with this secrets key"):
        Sealer("another-instance-key-" * 2).open(sealed["seat"])

    migrate.downgrade(db_url, "0015", sealer=sealer)
    assert _secrets(db_url) == {"node": "ami-secret-plain", "seat": "sip-password-plain"}


def test_the_secrets_key_file_is_made_once_and_private(tmp_path):
    instance = tmp_path / "instance"
    first = instance_sealer(Settings(instance_dir=instance))
    token = first.seal("pw")
    assert (instance / "secrets_key").stat().st_mode & 0o777 == 0o600
    assert instance_sealer(Settings(instance_dir=instance)).open(token) == "pw"
    assert "pw" not in token
    assert repr(first) == "Sealer(***)"


def test_trunk_names_campaigns_used_become_trunks_they_can_keep(db_url):
    """0017: a campaign's trunk was a bare name the PBX defined; it stays, as an unmanaged trunk."""
    migrate.upgrade(db_url, "0016")
    engine = make_engine(db_url)
    try:
        # The model's table less the columns later revisions added (0032's survey settings) is 0016's.
        then = Table("campaigns", MetaData(), *(c._copy() for c in Campaign.__table__.c
                                                 if not c.name.startswith("survey_")))
        with engine.begin() as connection:
            connection.execute(then.insert(), [
                {"name": name, "mode": "progressive", "compliance_profile": "us", "trunk": trunk}
                for name, trunk in (("a", "carrier"), ("b", "carrier"), ("c", ""))])
        migrate.upgrade(db_url, "0017")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, managed FROM trunks")).all()
    finally:
        engine.dispose()
    assert [(name, bool(managed)) for name, managed in rows] == [("carrier", False)]
