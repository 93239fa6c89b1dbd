"""`switchboard run`: one box, everything — the README's first command after install.

Order matters: the PBX sandbox first (so the web app can show registrations),
then the schema, then the long-running processes.
"""

from __future__ import annotations

import click

from switchboard.config import Settings


def run_all(settings: Settings) -> None:
    from orchestrator.store import migrate
    from provisioning.sandbox import cli as sandbox_cli
    from web.serve import serve

    sandbox_cli.up(settings)
    migrate.upgrade(settings.sqlalchemy_url, "head")
    click.echo(f"web admin on http://{settings.web_host}:{settings.web_port}/")
    serve(settings, settings.web_host, settings.web_port)
