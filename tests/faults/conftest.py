"""The fault suite runs on the real sandbox with SQLite and PostgreSQL (database fixtures of tests/db)."""

from tests.db.conftest import db_url, pg_database_url, pg_server_url  # noqa: F401
from tests.integration.conftest import sandbox  # noqa: F401
