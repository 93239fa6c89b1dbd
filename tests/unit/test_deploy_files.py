"""The production files say what the README promises: every long-running systemd unit restarts, logs to
journald and has resource limits; every compose service is restarted by the engine, the app's run under
an init (SIGTERM reaches waitress), and the images the smoke test builds can be chosen by the environment.

What they do when run is ``scripts/deploy-smoke``'s job (CI); these catch a limit or a setting dropped
from a file, which that run would not notice.
"""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml

from lab.stack_smoke import _Forms

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
LONG_RUNNING = ["switchboard-web.service", "switchboard-scheduler.service", "switchboard-runner@.service",
                "switchboard-sms-sender.service"]
APP_SERVICES = ["migrate", "web", "scheduler", "runner-a", "runner-fs"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_each_long_running_unit_restarts_logs_to_journald_and_is_bounded(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "always"
    assert service["StandardOutput"] == service["StandardError"] == "journal"
    for limit in ("MemoryHigh", "MemoryMax", "TasksMax", "LimitNOFILE", "CPUWeight"):
        assert service.get(limit), f"{name} has no {limit}"


def test_the_runners_get_more_cpu_than_the_web_when_the_box_is_busy():
    runner = int(unit("switchboard-runner@.service")["Service"]["CPUWeight"])
    assert runner > int(unit("switchboard-web.service")["Service"]["CPUWeight"])


def test_the_web_is_probed_and_the_target_starts_the_probe():
    assert "/healthz" in unit("switchboard-web.service")["Service"]["ExecStartPost"]
    probe = unit("switchboard-web-health.service")["Service"]["ExecStart"]
    assert "/healthz" in probe
    assert "systemctl restart switchboard-web.service" in probe
    assert "switchboard-web-health.timer" in unit("switchboard.target")["Unit"]["Wants"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())["services"]


def test_every_compose_service_but_the_migration_is_restarted_by_the_engine():
    for name, service in compose().items():
        assert service["restart"] == ("on-failure" if name == "migrate" else "unless-stopped"), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_the_app_services_run_the_chosen_image_under_an_init(name):
    service = compose()[name]
    assert service["init"] is True
    assert service["image"] == "${SWITCHBOARD_IMAGE:-switchboard:latest}"
    assert service["build"]["dockerfile"] == "docker/Dockerfile"


def test_web_and_runners_share_the_secrets_key():
    services = compose()
    for name in ("migrate", "web", "scheduler", "runner-a", "runner-fs"):
        assert services[name]["environment"]["SWITCHBOARD_SECRETS_KEY"] == "${SECRETS_KEY:?set SECRETS_KEY}"


def test_the_database_image_is_the_public_one_unless_told():
    assert compose()["db"]["image"] == "${PG_IMAGE:-postgres:15}"


def test_the_smoke_tests_forms_are_read_as_a_browser_submits_them():
    parser = _Forms()
    parser.feed("""<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t">
      <input name="name" value="a"><input type="checkbox" name="on" checked><input type="checkbox" name="off">
      <select name="kind"><option value="1">one</option><option value="2" selected>two</option></select>
      <select name="plain"><option>first</option><option>second</option></select>
      <textarea name="notes">
line</textarea><input type="submit" name="go" value="Go"></form><form action="/y"></form>""")
    first, second = parser.forms
    assert (first.action, first.method) == ("/x", "post")
    assert first.fields == [("csrf_token", "t"), ("name", "a"), ("on", "on"), ("kind", "2"),
                            ("plain", "first"), ("notes", "line")]
    assert (second.action, second.method, second.fields) == ("/y", "get", [])
