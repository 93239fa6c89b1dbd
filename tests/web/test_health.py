"""Liveness (``/healthz``) and readiness (``/readyz``, which asks the database) of the web process."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from lab.faults import TcpGate, gated_url
from settings import Settings
from store import migrate
from web.app import create_app


def test_ready_when_the_database_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "ok"}


@pytest.mark.postgres
def test_not_ready_while_postgresql_is_unreachable_and_ready_again_after(tmp_path, pg_database_url):
    migrate.upgrade(pg_database_url, "head")
    gate = TcpGate("127.0.0.1", make_url(pg_database_url).port or 5432)
    settings = Settings(instance_dir=tmp_path, database_url=gated_url(pg_database_url, gate), secret_key="t",
                        sandbox_state=tmp_path / "sandbox")
    app = create_app(settings, TESTING=True)
    client = app.test_client()
    try:
        with gate:
            assert client.get("/readyz").status_code == 200
        down = client.get("/readyz")
        assert down.status_code == 503
        body = down.get_json()
        assert body["status"] == "unavailable"
        assert body["reason"].startswith("database: OperationalError")
        assert "SELECT" not in body["reason"]
        assert "postgres@" not in body["reason"]
        assert client.get("/healthz").status_code == 200  # alive: nobody should restart it
        with gate:
            assert client.get("/readyz").status_code == 200
    finally:
        app.extensions["sb_engine"].dispose()
