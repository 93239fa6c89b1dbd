"""The runner's database tests run on SQLite and PostgreSQL (fixtures shared with tests/db)."""

from tests.db.conftest import db_url, engine, pg_database_url, pg_engine, pg_server_url, sessions  # noqa: F401
