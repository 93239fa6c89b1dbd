"""Log-in, per-page permissions, CSRF, audit log, and the first-admin CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from store.enums import UserRole
from store.models import AuditLog, User
from switchboard.cli import main
from web.db import sessions

ADMIN_ONLY = ["/admin/seats", "/admin/users", "/admin/audit"]
SUPERVISOR_PAGES = ["/campaigns/", "/lists", "/dnc", "/wallboard/", "/wallboard/snapshot.json"]


def test_anonymous_is_sent_to_login(client):
    response = client.get("/campaigns/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client):
    assert client.login("admin", "wrong password").status_code == 401
    assert client.get("/admin/seats").status_code == 302


def test_login_redirects_by_role_and_ignores_foreign_next(client):
    client.get("/login")
    response = client.post(
        "/login?next=https://evil.example/", {"username": "agent1", "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"].endswith("/agent/")


@pytest.mark.parametrize("page", ADMIN_ONLY + SUPERVISOR_PAGES + ["/calls", "/reports/"])
def test_agent_cannot_see_admin_pages(as_role, page):
    assert as_role("agent1").get(page).status_code == 403


@pytest.mark.parametrize("page", ADMIN_ONLY)
def test_supervisor_cannot_see_sysadmin_pages(as_role, page):
    assert as_role("sup").get(page).status_code == 403


@pytest.mark.parametrize("page", ADMIN_ONLY + SUPERVISOR_PAGES + ["/agent/"])
def test_qa_sees_calls_and_reports_only(as_role, page):
    assert as_role("qa").get(page).status_code == 403


def test_post_without_csrf_token_is_rejected(as_role):
    admin = as_role("admin")
    response = admin.raw.post("/admin/teams", data={"name": "Sneaky"})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert admin.post("/admin/teams", {"name": "Proper"}).status_code == 302


def test_login_form_itself_needs_csrf(client):
    response = client.raw.post("/login", data={"username": "admin", "password": "correct horse battery"})
    assert response.status_code == 400


def test_admin_creates_user_and_it_is_audited(app, as_role):
    admin = as_role("admin")
    admin.get("/admin/users")
    response = admin.post(
        "/admin/users", {"username": "sup2", "password": "long enough pw", "role": "supervisor"}
    )
    assert response.status_code == 302
    with app.app_context(), sessions()() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "user.create")).one()
        assert entry.actor == "admin"
        assert entry.details["username"] == "sup2"
    assert b"user.create" in admin.get("/admin/audit").data
    assert as_role("sup2", "long enough pw").get("/campaigns/").status_code == 200


def test_short_password_is_refused(app, as_role):
    admin = as_role("admin")
    admin.post("/admin/users", {"username": "weak", "password": "short", "role": "agent"})
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(User).where(User.username == "weak")) is None


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, as_role):
    sup = as_role("sup")
    admin = as_role("admin")
    with app.app_context(), sessions()() as s:
        sup_id = s.scalar(select(User.id).where(User.username == "sup"))
    admin.get("/admin/users")
    admin.post(f"/admin/users/{sup_id}/active", {"active": "0"})
    assert sup.get("/campaigns/").status_code == 302  # session no longer valid
    assert sup.login("sup").status_code == 401


def test_cli_creates_first_admin(settings, app):
    result = CliRunner().invoke(
        main,
        ["admin", "create", "--username", "root", "--password-stdin"],
        input="a very long password\n",
        env={
            "SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url,
            "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir),
        },
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), sessions()() as s:
        user = s.scalars(select(User).where(User.username == "root")).one()
        assert user.role.value == "admin"
        assert user.password_hash != "a very long password"
        assert s.scalars(select(AuditLog).where(AuditLog.details["via"].as_string() == "cli")).one()
    again = CliRunner().invoke(
        main,
        ["admin", "create", "--username", "root", "--password-stdin"],
        input="another long password\n",
        env={
            "SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url,
            "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir),
        },
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_metrics_are_exposed(as_role):
    admin = as_role("admin")
    admin.get("/healthz")
    text = admin.get("/metrics").get_data(as_text=True)
    assert "switchboard_web_request_seconds_bucket" in text
    assert 'switchboard_agents{state="logged_out"} 1.0' in text


def test_admin_resets_a_password(app, as_role):
    admin = as_role("admin")
    with app.app_context(), sessions()() as s:
        qa_id = s.scalar(select(User.id).where(User.username == "qa"))
    admin.get("/admin/users")
    admin.post(f"/admin/users/{qa_id}/password", {"password": "short"})
    assert as_role("qa").get("/calls").status_code == 200  # unchanged
    admin.post(f"/admin/users/{qa_id}/password", {"password": "a brand new password"})
    assert as_role("qa", "a brand new password").get("/calls").status_code == 200
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "user.password")).all() == [
            "user.password"
        ]


def test_cli_creates_any_role_of_the_centre(settings, app):
    result = CliRunner().invoke(
        main,
        ["admin", "create", "--username", "lead1", "--password-stdin", "--role", "team_leader"],
        input="a very long password\n",
        env={
            "SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url,
            "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir),
        },
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(User.role).where(User.username == "lead1")).one() is UserRole.TEAM_LEADER
