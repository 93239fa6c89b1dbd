"""`switchboard run`: one box, everything — the README's first command after install.

Order matters: the PBX sandbox first (so the web app can show registrations),
then the schema, then a demo campaign (created once), then the long-running
processes: the runner for the sandbox's pbx (a subprocess: asyncio, its own
process as in production) and the web admin in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from switchboard.config import Settings

DEMO_CAMPAIGN = "Demo (progressive)"
DEMO_AGENTS = 4
NODE = "pbx"
DEMO_ADMIN = "admin"
DEMO_ADMIN_SECRET = "demo_admin_password"


def run_all(settings: Settings) -> None:
    from orchestrator.store import migrate
    from provisioning.sandbox import cli as sandbox_cli
    from provisioning.sandbox.layout import paths
    from web.serve import serve

    sandbox_cli.up(settings)
    migrate.upgrade(settings.sqlalchemy_url, "head")
    campaign = seed_demo(settings)
    admin_password = ensure_demo_admin(settings)
    log_path = settings.instance_dir / "runner.log"
    runner = start_runner(settings, paths(settings).pbx_config_dir, log_path)
    click.echo(f"demo campaign {campaign!r}: {DEMO_AGENTS} agents (the sandbox phones agent001..) "
               "dialing the world")
    click.echo(f"runner (pid {runner.pid}) log: tail -f {log_path}")
    click.echo(f"web admin on http://{settings.web_host}:{settings.web_port}/ (wallboard, calls, recordings)")
    if admin_password:
        click.echo(f"log in as {DEMO_ADMIN!r} with the password kept in "
                   f"{settings.instance_dir / DEMO_ADMIN_SECRET} (generated on the first run)")
    try:
        serve(settings, settings.web_host, settings.web_port)
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(20)


def ensure_demo_admin(settings: Settings) -> bool:
    """A first admin for the demo box, so the admin can be opened at once.

    Only when the database has no admin at all: a real installation creates its
    own with `switchboard admin create`. The password is random and kept (0600)
    in the instance dir, never printed to a log. True when the demo admin exists.
    """
    from orchestrator.store import models as m
    from orchestrator.store.db import make_engine, session_factory
    from orchestrator.store.enums import UserRole
    from switchboard.config import instance_secret
    from web.auth.bootstrap import create_admin

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine)() as s:
            admins = s.scalars(select(m.User.username).where(m.User.role == UserRole.ADMIN)).all()
    finally:
        engine.dispose()
    if admins and DEMO_ADMIN not in admins:
        return False
    password = instance_secret(settings.instance_dir, DEMO_ADMIN_SECRET)
    if not admins:
        create_admin(settings.sqlalchemy_url, DEMO_ADMIN, password)
    return True


def start_runner(settings: Settings, dialplan_dir: Path, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": settings.sqlalchemy_url,
           "SWITCHBOARD_INSTANCE_DIR": str(settings.instance_dir)}
    exe = Path(sys.executable).with_name("switchboard")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log:
        return subprocess.Popen([str(exe), "runner", "--pbx", NODE, "--dialplan-dir", str(dialplan_dir)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def seed_demo(settings: Settings) -> str:
    """The sandbox's pbx node, agents on its phones' seats, and a running demo campaign.

    Created on the first run; later runs refresh the node's AMI secret, top the
    campaign up with fresh leads when none is left to dial, and log the agents in.
    """
    from orchestrator.store import models as m
    from orchestrator.store.db import make_engine, session_factory
    from orchestrator.store.enums import AgentState, CampaignMode, CampaignState
    from provisioning.sandbox.credentials import connection_info, phone_credentials
    from provisioning.sandbox.layout import paths
    from switchboard import demo

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine).begin() as s:
            pbx = connection_info(settings).pbx
            node = demo.ensure_node(s, demo.NodeSpec(NODE, pbx.host, pbx.port, pbx.username, pbx.secret,
                                                     str(paths(settings).monitor_dir)))
            seats = [(p.extension, p.secret) for p in phone_credentials(settings)][:DEMO_AGENTS]
            agents = demo.ensure_agents(s, node, seats)
            campaign = s.scalar(select(m.Campaign).where(m.Campaign.name == DEMO_CAMPAIGN))
            if campaign is None:
                campaign = demo.create_campaign(s, DEMO_CAMPAIGN, CampaignMode.PROGRESSIVE, _demo_numbers(0),
                                                wrap_up_s=5, abandon_message_text="Sorry we missed you.")
            elif _dialable(s, campaign.id) == 0:
                _add_leads(s, campaign, _demo_numbers(_lead_count(s, campaign.id)))
            campaign.desired_state = CampaignState.RUNNING
            demo.log_in(s, node, campaign, [a for a in agents if a.state is AgentState.LOGGED_OUT])
            return campaign.name
    finally:
        engine.dispose()


def _demo_numbers(first_serial: int) -> list[str]:
    """A mix the world plays: humans who talk 15-40 s, busy, no answer, machines, bad numbers."""
    from provisioning.sandbox.world import Outcome, world_number

    pattern = [(Outcome.HUMAN, 25), (Outcome.BUSY, 2), (Outcome.HUMAN, 40), (Outcome.NO_ANSWER, 8),
               (Outcome.MACHINE, 20), (Outcome.HUMAN, 15), (Outcome.UNALLOCATED, 1), (Outcome.HUMAN, 30)]
    return [world_number(outcome, talk, (first_serial + i) % 1000)
            for i, (outcome, talk) in enumerate(pattern * 5)]


def _dialable(s: Session, campaign_id: int) -> int:
    from orchestrator.store import models as m
    from orchestrator.store.enums import DIALABLE_LEAD_STATUSES

    return s.scalar(select(func.count()).select_from(m.Lead).where(
        m.Lead.campaign_id == campaign_id, m.Lead.status.in_(DIALABLE_LEAD_STATUSES)))


def _lead_count(s: Session, campaign_id: int) -> int:
    from orchestrator.store import models as m

    return s.scalar(select(func.count()).select_from(m.Lead).where(m.Lead.campaign_id == campaign_id))


def _add_leads(s: Session, campaign, numbers: list[str]) -> None:
    from orchestrator.store import models as m

    lead_list = campaign.lists[0]
    known = set(s.scalars(select(m.Lead.phone).where(m.Lead.list_id == lead_list.id)))
    s.add_all(m.Lead(list_id=lead_list.id, campaign_id=campaign.id, phone=n)
              for n in numbers if n not in known)
