"""Issue #13 replayed: each test is one finding of the attack on the admin, and fails without its fix.

The numbers in the test names are the issue's findings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import socket
import stat
import subprocess
import time
import urllib.request
import uuid
import wave
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ami.session import AmiTarget
from lab import demo
from lab.campaign import switchboard_exe
from provisioning.freeswitch import EslTarget
from provisioning.seats import SeatConf, write_seats
from runner.node import NodeInfo
from settings import Settings, load_settings
from store.db import make_engine
from store.enums import CampaignState, Outcome, PbxKind, UserRole
from store.models import Agent, AuditLog, LeadList, PbxNode, Recording, Seat, Team, User
from store.sealing import instance_sealer
from tests.web import seed
from tests.web.conftest import PASSWORD, Client
from web.app import create_app
from web.auth import services as auth_services
from web.auth.roles import HOME, ROLE_PERMS
from web.calls.services import CallFilter, search
from web.campaigns.services import visible_campaigns
from web.db import sealer, sessions
from web.leads import importer
from web.leads import services as lead_services
from web.reports.services import Period, volume

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
REDIS = "redis://127.0.0.1:6379"


def _audits(app, action: str) -> list[AuditLog]:
    with app.app_context(), sessions()() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def _raw(app, environ: dict[str, str]):
    """A test client whose requests carry ``environ`` (another client address, a proxy's headers)."""
    client = app.test_client()
    client.environ_base.update(environ)
    return client


def _user_id(app, username: str) -> int:
    with app.app_context(), sessions()() as s:
        return s.scalar(select(User.id).where(User.username == username))


# 1. Brute force on the log-in form and on xml_curl.


def test_1_login_is_throttled_per_account_even_for_the_right_password_then_audited_and_counted(app, as_role):
    attacker = Client(app.test_client())
    codes = [attacker.login("qa", f"guess {i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    refused = attacker.login("qa")  # the right password no longer gets in during the back-off
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert [(a.target_type, a.target_id) for a in _audits(app, "login.throttled")] == [("account", "qa")]
    metrics = as_role("admin").get("/metrics").get_data(as_text=True)
    assert 'switchboard_throttled_total{scope="account",what="login"} 2.0' in metrics
    assert as_role("sup").get("/wallboard/").status_code == 200  # other accounts are not locked out


def test_1_login_is_throttled_per_address_across_accounts(app):
    sprayer = Client(app.test_client())
    assert {sprayer.login(f"nobody{i}", "guess").status_code for i in range(20)} == {401}
    assert sprayer.login("admin").status_code == 429
    elsewhere = Client(_raw(app, {"REMOTE_ADDR": "192.0.2.7"}))
    assert elsewhere.login("admin").status_code == 302


def test_1_a_right_password_forgives_the_accounts_typos(app):
    user = Client(app.test_client())
    for _ in range(4):
        user.login("qa", "typo")
    assert user.login("qa").status_code == 302
    assert [user.login("qa", "typo").status_code for _ in range(5)] == [401] * 5


def test_1_the_count_is_shared_by_web_processes_through_redis(settings):
    """Two apps (as two web processes) on one Redis: failures on one lock the account on the other."""
    shared = dataclasses.replace(settings, throttle_storage=REDIS)
    from store import migrate

    migrate.upgrade(shared.sqlalchemy_url, "head")
    first, second = create_app(shared, TESTING=True), create_app(shared, TESTING=True)
    name = f"user-{uuid.uuid4().hex[:12]}"  # Redis outlives the test: a name nobody used
    address = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    one = Client(_raw(first, address))
    assert [one.login(name, "guess").status_code for _ in range(5)] == [401] * 5
    assert Client(_raw(second, address)).login(name, "guess").status_code == 429
    for app in (first, second):
        app.extensions["sb_engine"].dispose()


@pytest.fixture
def fs_node(app):
    with app.app_context(), sessions().begin() as s:
        node = PbxNode(name="fs1", kind=PbxKind.FREESWITCH, host="127.0.0.1", port=8021,
                       secret=sealer().seal("n" * 32))
        s.add(node)
        s.flush()
        s.add(Seat(node_id=node.id, extension="8001", secret=sealer().seal("seat-secret-8001")))
    return "fs1", "n" * 32


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + b64encode(f"{user}:{password}".encode()).decode()}


def test_1_xml_curl_is_throttled_audited_and_counted(app, as_role, fs_node):
    name, secret = fs_node
    client = app.test_client()
    form = {"section": "directory", "user": "8001", "domain": "d"}
    codes = [client.post("/freeswitch/xml", data=form, headers=_basic(name, f"x{i}")).status_code
             for i in range(11)]
    assert codes == [401] * 10 + [429]
    assert client.post("/freeswitch/xml", data=form, headers=_basic(name, secret)).status_code == 429
    assert {a.target_type for a in _audits(app, "fsxml.throttled")} == {"account", "address"}
    metrics = as_role("admin").get("/metrics").get_data(as_text=True)
    assert 'switchboard_throttled_total{scope="account",what="fsxml"} 2.0' in metrics


def test_1_node_secrets_are_long_or_generated(app, as_role):
    admin = as_role("admin")
    admin.get("/admin/seats")
    node = {"name": "fs9", "kind": "freeswitch", "host": "127.0.0.1", "port": "8021", "username": ""}
    admin.post("/admin/nodes", {**node, "secret": "abc"})
    admin.post("/admin/nodes", {**node, "name": "fs10", "secret": ""})
    with app.app_context(), sessions()() as s:
        rows = s.execute(select(PbxNode.name, PbxNode.secret))
        secrets = {name: sealer().open(secret) for name, secret in rows}
    assert "fs9" not in secrets
    assert len(secrets["fs10"]) >= 24


# 2. Sessions cannot be revoked; the CSRF token survives log-in.


def _cookie(client: Client) -> str:
    return client.raw.get_cookie("session").value


def _replay(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/calls")


def test_2_a_cookie_copied_before_logout_is_dead_after_it(app, as_role):
    qa = as_role("qa")
    copied = _cookie(qa)
    assert _replay(app, copied).status_code == 200
    qa.post("/logout")
    assert _replay(app, copied).status_code == 302  # to the log-in form


def test_2_password_reset_role_change_and_deactivation_end_open_sessions(app, as_role):
    admin, qa_id = as_role("admin"), _user_id(app, "qa")
    for change, data in (("password", {"password": "another long password"}), ("role", {"role": "trainer"}),
                         ("active", {"active": "0"})):
        password = "another long password" if change != "password" else PASSWORD
        if change == "active":
            admin.post(f"/admin/users/{qa_id}/active", {"active": "1"})
        victim = as_role("qa", password)
        copied = _cookie(victim)
        assert victim.get("/reports/").status_code == 200
        admin.get("/admin/users")
        admin.post(f"/admin/users/{qa_id}/{change}", data)
        assert victim.get("/reports/").status_code == 302, change
        assert _replay(app, copied).status_code == 302, change
    assert [a.details for a in _audits(app, "user.role")] == [{"old": "qa", "new": "trainer"}]


def test_2_the_csrf_token_and_the_session_are_new_after_login(app):
    browser = Client(app.test_client())
    browser.get("/login")
    before, cookie_before = browser.csrf, _cookie(browser)
    browser.post("/login", {"username": "qa", "password": PASSWORD})
    browser.get("/login")
    assert browser.csrf != before
    assert _replay(app, cookie_before).status_code == 302


def test_2_3_lifetime_secure_cookie_hsts_and_proxy_fix(settings, app):
    tls = dataclasses.replace(settings, cookie_secure=True, session_lifetime_minutes=30, proxy_count=1)
    proxied = create_app(tls, TESTING=True)
    assert proxied.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    browser = Client(_raw(proxied, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}))
    browser.get("/login")
    response = browser.post("/login", {"username": "admin", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Expires=" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    browser.get("/admin/users")
    browser.post("/admin/teams", {"name": "Proxied"})
    assert _audits(app, "team.create")[0].ip == "203.0.113.9"  # the client behind the proxy
    proxied.extensions["sb_engine"].dispose()
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers


def test_3_settings_take_the_new_options_from_the_environment(tmp_path):
    env = {"SWITCHBOARD_COOKIE_SECURE": "true", "SWITCHBOARD_PROXY_COUNT": "1",
           "SWITCHBOARD_INSTANCE_DIR": str(tmp_path), "SWITCHBOARD_THROTTLE_STORAGE": REDIS}
    loaded = load_settings(environ=env)
    assert (loaded.cookie_secure, loaded.proxy_count, loaded.throttle_storage) == (True, 1, REDIS)
    with pytest.raises(ValueError, match="cookie_secure"):
        load_settings(environ={**env, "SWITCHBOARD_COOKIE_SECURE": "maybe"})


def test_3_switchboard_web_serves_with_waitress_not_the_development_server(tmp_path):
    """The Docker image's CMD is ``switchboard web`` too: what answers is waitress (ident "switchboard"),
    not Werkzeug's development server (``Server: Werkzeug/...``)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SWITCHBOARD_INSTANCE_DIR": str(tmp_path)}
    proc = subprocess.Popen([switchboard_exe(), "web", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = ""
    try:
        for _ in range(200):  # until it listens (a hang guard, not a timing claim)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    server = answer.headers["Server"]
                break
            except OSError:
                assert proc.poll() is None
                time.sleep(0.05)
        assert server == "switchboard"
    finally:
        proc.terminate()
        proc.wait(10)


# 4. Secrets and personal data at rest.


def test_4_sqlite_file_and_wal_are_private_in_a_private_instance_dir(tmp_path):
    db_file = tmp_path / "instance" / "switchboard.sqlite3"
    engine = make_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in db_file.parent.iterdir()}
    engine.dispose()
    assert stat.S_IMODE(db_file.parent.stat().st_mode) == 0o700
    assert modes["switchboard.sqlite3"] == 0o600
    assert modes["switchboard.sqlite3-wal"] == 0o600


def test_4_node_and_seat_secrets_are_sealed_with_a_key_outside_the_database(app, as_role, settings):
    admin = as_role("admin")
    admin.get("/admin/seats")
    admin.post("/admin/nodes", {"name": "pbx9", "kind": "asterisk", "host": "127.0.0.1", "port": "5038",
                                "username": "sb", "secret": "ami-secret-for-the-test-xyz"})
    with app.app_context(), sessions()() as s:
        node_id = s.scalar(select(PbxNode.id))
    admin.post("/admin/seats", {"node_id": str(node_id), "first": "8001", "last": "8002"})
    with app.app_context(), sessions()() as s:
        stored = [*s.scalars(select(PbxNode.secret)), *s.scalars(select(Seat.secret))]
        opened = [sealer().open(secret) for secret in stored]
    assert opened[0] == "ami-secret-for-the-test-xyz"
    assert not set(stored) & set(opened)  # the database holds none of them
    assert all(len(secret) >= 24 for secret in opened[1:])
    page = admin.get("/admin/seats").get_data(as_text=True)
    assert all(secret in page for secret in opened[1:])  # the admin reads the seats' passwords
    key = settings.instance_dir / "secrets_key"
    assert key.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        assert key.read_text() not in repr(sealer())


def test_4_xml_curl_gives_freeswitch_the_digest_never_the_password(app, fs_node):
    name, secret = fs_node
    form = {"section": "directory", "user": "8001", "domain": "10.0.0.4"}
    answer = app.test_client().post("/freeswitch/xml", data=form, headers=_basic(name, secret))
    body = answer.get_data(as_text=True)
    assert "seat-secret-8001" not in body
    assert hashlib.md5(b"8001:10.0.0.4:seat-secret-8001", usedforsecurity=False).hexdigest() in body


def test_4_uploads_are_deleted_after_import(app, as_role, settings):
    sup = as_role("sup")
    token = _import(sup, "Phone\n+44 20 7946 0001\n")
    job = settings.instance_dir / "imports" / token
    assert job.is_dir()
    assert not (job / "source").exists()
    assert stat.S_IMODE(job.stat().st_mode) == 0o700


def _import(sup, text: str) -> str:
    import io
    import threading

    sup.get("/lists")
    response = sup.post("/lists/upload", {"file": (io.BytesIO(text.encode()), "leads.csv"), "region": "GB"},
                        content_type="multipart/form-data")
    token = response.headers["Location"].split("/")[-2]
    sup.get(f"/lists/import/{token}/mapping")
    sup.post(f"/lists/import/{token}/mapping", {"col0": "phone"} | ({"col1": "field"} if "," in text else {}))
    for thread in threading.enumerate():
        if thread.name == f"import-{token[:8]}":
            thread.join(timeout=120)
    assert sup.get(f"/lists/import/{token}.json").get_json()["state"] == "done"
    return token


# 5. CSV formula injection.


def test_5_the_import_error_report_escapes_formulas(as_role):
    sup = as_role("sup")
    token = _import(sup, 'Phone,Name\n=HYPERLINK("http://evil.example"),x\n+cmd|\' /C calc\'!A0,y\n')
    report = sup.get(f"/lists/import/{token}/errors.csv").get_data(as_text=True)
    assert '\'=HYPERLINK(""http://evil.example"")' in report
    assert "'+cmd|" in report
    assert not re.search(r"^[^,]*,[^,]*,[=+@-]", report, re.M)


def test_5_the_report_export_escapes_formulas(app, as_role):
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(User).where(User.username == "agent1")).one().username = "=1+1"
        a = seed.agent(s, "=1+1")
        leads = seed.leads(s, seed.campaign(s), ["+442079460001"])
        seed.attempt(s, leads[0], agent=a, start=DAY, outcome=Outcome.CONNECTED)
    day = DAY.date().isoformat()
    lines = as_role("sup").get(f"/reports/export.csv?from={day}&to={day}").get_data(as_text=True).splitlines()
    assert lines[1].startswith("'=1+1,")
    report = importer.error_report([importer.Problem(2, "bad", "@SUM(A1)")])
    assert report.splitlines()[1] == "2,bad,'@SUM(A1)"


# 6. Demo agents.


def test_6_demo_agents_have_no_guessable_password(app):
    with app.app_context(), sessions().begin() as s:
        node = PbxNode(name="pbx", kind=PbxKind.ASTERISK, host="127.0.0.1", port=1)
        s.add(node)
        s.flush()
        demo.ensure_agents(s, sealer(), node, [("agent001", "seat-secret-1")])
    assert Client(app.test_client()).login("agent001", "demo").status_code == 401


def test_4_the_demo_seals_the_sandbox_secrets_it_copies(app):
    with app.app_context(), sessions().begin() as s:
        spec = demo.NodeSpec("pbx", "127.0.0.1", 5038, "sb", "sandbox-ami-secret")
        node = demo.ensure_node(s, sealer(), spec)
        demo.ensure_seats(s, sealer(), node, [("agent001", "seat-secret-1")])
    with app.app_context(), sessions()() as s:
        stored = [s.scalar(select(PbxNode.secret)), s.scalar(select(Seat.secret))]
        assert [sealer().open(secret) for secret in stored] == ["sandbox-ami-secret", "seat-secret-1"]
    assert not {"sandbox-ami-secret", "seat-secret-1"} & set(stored)


# 7. Security headers and no-store.


def test_7_security_headers_and_nonce_on_the_pages_own_scripts(as_role):
    admin = as_role("admin")
    page = admin.get("/admin/seats")
    csp = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r"<script(?![^>]*src=)([^>]*)>", page.get_data(as_text=True))
    assert scripts
    assert all(f'nonce="{nonce}"' in attrs for attrs in scripts)
    assert page.headers["Cache-Control"] == "no-store"  # the seats page shows SIP passwords
    assert admin.get("/login").headers["Cache-Control"] == "no-store"


# 8. /metrics.


def test_8_metrics_need_the_bearer_token_or_a_sysadmin(app, settings, as_role):
    assert app.test_client().get("/metrics").status_code == 401
    assert as_role("sup").get("/metrics").status_code == 401
    tokened = create_app(dataclasses.replace(settings, metrics_token="s3cret-token-for-prometheus"))
    scraper = tokened.test_client()
    assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = scraper.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-prometheus"})
    assert ok.status_code == 200
    assert b"switchboard_agents" in ok.data
    tokened.extensions["sb_engine"].dispose()


def test_8_readiness_says_no_while_the_database_is_unreachable(tmp_path):
    """Liveness stays 200 (do not restart it); readiness is 503 (send requests elsewhere), naming no URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    url = f"postgresql://sb:pw-of-the-test@127.0.0.1:{closed}/switchboard"
    client = create_app(Settings(instance_dir=tmp_path, database_url=url, secret_key="t")).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "pw-of-the-test" not in ready.get_data(as_text=True)


# 9. Timing of deactivated accounts; non-ASCII xml_curl passwords.


def test_9_every_kind_of_failed_login_costs_one_password_check(app, monkeypatch):
    """Counted, not timed: each answer runs scrypt exactly once, whoever the account is."""
    checks: list[str] = []
    real = auth_services.check_password_hash
    monkeypatch.setattr(auth_services, "check_password_hash",
                        lambda h, p: checks.append(p) or real(h, p))
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(User).where(User.username == "qa")).one().active = False
    for username in ("nobody", "qa", "sup"):
        assert Client(app.test_client()).login(username, "wrong password").status_code == 401
    assert Client(app.test_client()).login("qa").status_code == 401  # deactivated, right password
    assert checks == ["wrong password"] * 3 + [PASSWORD]


def test_9_non_ascii_xml_curl_password_is_a_401(app, fs_node):
    raw = b64encode("fs1:pässwörd".encode()).decode()
    response = app.test_client().post("/freeswitch/xml", data={"section": "directory"},
                                      headers={"Authorization": f"Basic {raw}"})
    assert response.status_code == 401


# 10. Secrets in reprs.


def test_10_the_database_password_is_in_no_repr(tmp_path):
    s = Settings(instance_dir=tmp_path, database_url="postgresql://sb:hunter2@db.example:5432/sb",
                 metrics_token="tok-123", secret_key="k")
    for shown in (repr(s), str(s.redacted())):
        assert "hunter2" not in shown
        assert "tok-123" not in shown
    assert s.redacted()["database_url"] == "postgresql://sb:***@db.example:5432/sb"


def test_10_no_seat_node_or_sealing_secret_in_a_repr(tmp_path):
    s = Settings(instance_dir=tmp_path, secrets_key="the-sealing-key-of-this-instance-xyz")
    seat, sealer_ = SeatConf("8001", "sip-password-8001"), instance_sealer(s)
    node = NodeInfo(1, "pbx", "127.0.0.1", 5038, "sb", "ami-secret-xyz")
    shown = " ".join([repr(s), str(s.redacted()), repr(seat), repr(sealer_), repr(node),
                      repr(PbxNode(name="pbx", secret=sealer_.seal("ami-secret-xyz"))),
                      repr(AmiTarget("127.0.0.1", 5038, "sb", "ami-secret-xyz")),
                      repr(EslTarget("127.0.0.1", 8021, "ami-secret-xyz"))])
    for secret in ("the-sealing-key-of-this-instance-xyz", "sip-password-8001", "ami-secret-xyz"):
        assert secret not in shown


# 11. Recordings: playback audited, the file name not leaked.


@pytest.fixture
def two_teams(app, settings):
    """agent1 (Team 1, led by lead1) and agent2 (Team 2): one recorded call each."""
    with app.app_context(), sessions().begin() as s:
        auth_services.create_user(s, "lead1", PASSWORD, UserRole.TEAM_LEADER)
        auth_services.create_user(s, "agent2", PASSWORD, UserRole.AGENT)
        s.flush()
        a1, a2 = seed.agent(s, "agent1", "Team 1"), seed.agent(s, "agent2", "Team 2")
        s.scalars(select(Team).where(Team.name == "Team 1")).one().leader_id = s.scalar(
            select(User.id).where(User.username == "lead1"))
        c = seed.campaign(s)
        leads = seed.leads(s, c, ["+442079460001", "+442079460002"])
        for lead, agent, name in ((leads[0], a1, "team1-secret-name.wav"), (leads[1], a2, "team2.wav")):
            _wav(settings.recordings_dir / name)
            seed.attempt(s, lead, agent=agent, start=DAY, outcome=Outcome.CONNECTED, recording=name)
    with app.app_context(), sessions()() as s:
        recs = dict(s.execute(select(Recording.path, Recording.id)).all())
        teams = dict(s.execute(select(Team.name, Team.id)).all())
    return recs["team1-secret-name.wav"], recs["team2.wav"], teams


def _wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x02" * 800)


def test_11_playing_a_recording_is_audited_once_and_hides_the_file_name(app, as_role, two_teams):
    rec1, _, _ = two_teams
    qa = as_role("qa")
    played = qa.get(f"/recordings/{rec1}", headers={"Range": "bytes=0-"})
    qa.get(f"/recordings/{rec1}", headers={"Range": "bytes=100-"})  # seeking is the same listening
    assert played.status_code == 206
    assert "team1-secret-name" not in str(played.headers)
    assert [(a.actor, a.target_id) for a in _audits(app, "recording.play")] == [("qa", str(rec1))]
    assert played.headers["Cache-Control"] == "no-store"


# 12. Roles and team scoping.


def test_12_every_role_is_in_the_one_table_and_has_a_home(app):
    assert set(ROLE_PERMS) == set(UserRole) == set(HOME)
    with app.test_request_context():
        from flask import url_for

        for endpoint in HOME.values():
            url_for(endpoint)


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    ("director", ["/campaigns/", "/lists", "/calls", "/reports/", "/admin/audit"], ["/admin/seats"]),
    ("trainer", ["/reports/", "/kb"],
     ["/calls", "/lists", "/campaigns/", "/admin/users", "/agent/kb/search"]),
    ("data_manager", ["/lists", "/dnc"], ["/campaigns/", "/calls", "/reports/"]),
    ("sysadmin", ["/admin/seats", "/admin/users", "/metrics"], ["/calls", "/campaigns/", "/lists"]),
    ("team_leader", ["/calls", "/reports/", "/wallboard/", "/lists"],
     ["/campaigns/", "/dnc", "/admin/users"]),
])
def test_12_each_role_sees_its_pages_only(app, as_role, role, allowed, refused):
    with app.app_context(), sessions().begin() as s:
        auth_services.create_user(s, f"u-{role}", PASSWORD, UserRole(role))
    user = as_role(f"u-{role}")
    assert {page: user.get(page).status_code for page in allowed} == dict.fromkeys(allowed, 200)
    assert {page: user.get(page).status_code for page in refused} == dict.fromkeys(refused, 403)


def test_12_the_call_log_query_returns_the_leaders_team_only(app, two_teams):
    _, _, teams = two_teams
    with app.app_context(), sessions()() as s:
        mine, _ = search(s, CallFilter(), frozenset({teams["Team 1"]}))
        everyone, _ = search(s, CallFilter(), None)
        nobody, _ = search(s, CallFilter(), frozenset())
        period = Period(DAY.date(), DAY.date())
        report = volume(s, period, "agent", False, frozenset({teams["Team 1"]}))
    assert [r["agent"] for r in mine] == ["agent1"]
    assert sorted(r["agent"] for r in everyone) == ["agent1", "agent2"]
    assert nobody == []
    assert [r["name"] for r in report] == ["agent1"]


def test_12_a_team_leader_sees_own_team_calls_recordings_and_reports_only(as_role, two_teams):
    rec1, rec2, _ = two_teams
    lead = as_role("lead1")
    calls = lead.get("/calls").get_data(as_text=True)
    assert "agent1" in calls
    assert "agent2" not in calls
    assert lead.get(f"/recordings/{rec1}").status_code == 200
    assert lead.get(f"/recordings/{rec2}").status_code == 404
    assert lead.get(f"/recordings/{rec2}/download").status_code == 404
    day = DAY.date().isoformat()
    report = lead.get(f"/reports/export.csv?from={day}&to={day}").get_data(as_text=True)
    assert "agent1" in report
    assert "agent2" not in report
    qa = as_role("qa")  # QA scores every team's calls
    assert qa.get(f"/recordings/{rec2}").status_code == 200


def test_12_a_team_leader_monitors_own_team_live(app, as_role, two_teams):
    """The wallboard shows the leader's agents and the campaigns their teams work, nothing else."""
    _, _, teams = two_teams
    with app.app_context(), sessions().begin() as s:
        ours, theirs = seed.campaign(s, "Ours"), seed.campaign(s, "Theirs")
        ours.teams = [s.get(Team, teams["Team 1"])]
        theirs.teams = [s.get(Team, teams["Team 2"])]
        ours.desired_state = theirs.desired_state = CampaignState.RUNNING
    board = as_role("lead1").get("/wallboard/snapshot.json").get_json()
    assert [a["name"] for a in board["agents"]] == ["agent1"]
    assert [c["name"] for c in board["campaigns"]] == ["Ours"]
    everyone = as_role("sup").get("/wallboard/snapshot.json").get_json()
    assert {c["name"] for c in everyone["campaigns"]} >= {"Ours", "Theirs"}
    assert [a["name"] for a in everyone["agents"]] == ["agent1", "agent2"]


@pytest.fixture
def team_lists(app, two_teams):
    """A list of "Ours" (worked by Team 1, lead1's), one of "Theirs" (Team 2), one of no campaign."""
    _, _, teams = two_teams
    with app.app_context(), sessions().begin() as s:
        ours, theirs = seed.campaign(s, "Ours"), seed.campaign(s, "Theirs")
        ours.teams = [s.get(Team, teams["Team 1"])]
        theirs.teams = [s.get(Team, teams["Team 2"])]
        s.add_all([LeadList(name="ours-list", campaign=ours), LeadList(name="theirs-list", campaign=theirs),
                   LeadList(name="loose-list")])
    return teams


def test_12_the_lead_list_and_campaign_queries_return_the_leaders_team_only(app, team_lists):
    with app.app_context(), sessions()() as s:
        mine = [x.name for x in lead_services.visible_lists(s, frozenset({team_lists["Team 1"]}))]
        everyone = [x.name for x in lead_services.visible_lists(s, None)]
        nobody = lead_services.visible_lists(s, frozenset())
        campaigns = [c.name for c in visible_campaigns(s, frozenset({team_lists["Team 1"]}))]
    assert mine == ["ours-list"]
    assert set(everyone) >= {"loose-list", "ours-list", "theirs-list"}
    assert nobody == []
    assert campaigns == ["Ours"]


def test_12_a_team_leader_reads_own_team_lists_only_and_cannot_change_them(app, as_role, team_lists):
    lead = as_role("lead1")
    page = lead.get("/lists").get_data(as_text=True)
    assert "ours-list" in page
    assert "theirs-list" not in page
    assert "loose-list" not in page
    assert "Import leads" not in page
    with app.app_context(), sessions()() as s:
        ours = s.scalar(select(LeadList.id).where(LeadList.name == "ours-list"))
    assert lead.post(f"/lists/{ours}/active", {"active": "0"}).status_code == 403
    manager = as_role("admin").get("/lists").get_data(as_text=True)  # data managers see every list
    assert all(name in manager for name in ("ours-list", "theirs-list", "loose-list"))


def test_12_a_leader_without_a_team_sees_nothing(app, as_role, two_teams):
    with app.app_context(), sessions().begin() as s:
        auth_services.create_user(s, "lead2", PASSWORD, UserRole.TEAM_LEADER)
    assert as_role("lead2").get("/calls").get_data(as_text=True).count("<tr>") == 1  # the header row


def test_12_roles_agents_keep_their_desk(app, as_role):
    admin, agent_id = as_role("admin"), _user_id(app, "agent1")
    admin.get("/admin/users")
    admin.post(f"/admin/users/{agent_id}/role", {"role": "director"})
    with app.app_context(), sessions()() as s:
        assert s.get(User, agent_id).role is UserRole.AGENT
        assert s.scalar(select(Agent.id).where(Agent.user_id == agent_id)) is not None


def test_4_the_seats_file_is_not_world_readable(tmp_path):
    seats = tmp_path / "pjsip-seats.conf"
    write_seats(seats, "[8001]\npassword=seat-secret\n")
    assert stat.S_IMODE(seats.stat().st_mode) == 0o640
