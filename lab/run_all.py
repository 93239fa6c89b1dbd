"""`switchboard run`: one box, everything — the README's first command after install.

Order matters: the PBX sandbox first (so the web app can show registrations),
then the schema, then the demo (seeded once: a later run never changes what a
supervisor did to it), then the long-running processes, each its own child
process kept up by :class:`~switchboard.supervisor.Supervisor`: the runner for
the sandbox's pbx, the scheduler and the web admin. SIGTERM or Ctrl-C stops
them all; agents logged in stay logged in (the runner logs them in again when
it starts), and the run says which.
"""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import fields
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from settings import ENV_PREFIX, Settings
from switchboard.supervisor import ChildSpec, Supervisor

DEMO_CAMPAIGN = "Demo (progressive)"
DEMO_AGENTS = 4
NODE = "pbx"
DEMO_ADMIN = "admin"
DEMO_ADMIN_SECRET = "demo_admin_password"
DEMO_AGENT_SECRET = "demo_agent_password"  # the demo agents' (agent001..) password, kept like the admin's


def run_all(settings: Settings) -> None:
    from lab.sandbox import cli as sandbox_cli
    from lab.sandbox.layout import paths
    from store import migrate

    sandbox_cli.up(settings)
    migrate.upgrade(settings.sqlalchemy_url, "head")
    campaign = seed_demo(settings)
    provision_sandbox_seats(settings)
    admin_password = ensure_demo_admin(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    supervisor = Supervisor(box_children(settings, paths(settings).pbx_config_dir))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, supervisor.request_stop)
    click.echo(campaign)
    click.echo(f"web admin on http://{settings.web_host}:{settings.web_port}/ (wallboard, calls, recordings)")
    if admin_password:
        click.echo(f"log in as {DEMO_ADMIN!r} with the password kept in "
                   f"{settings.instance_dir / DEMO_ADMIN_SECRET} (generated on the first run)")
    click.echo("runner, scheduler and web are restarted if they die; Ctrl-C stops them all")
    supervisor.run()
    click.echo(logged_in_report(settings))


def child_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly these settings (a --config file included)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != ENV_PREFIX + "CONFIG"}
    for f in fields(settings):
        value = settings.sqlalchemy_url if f.name == "database_url" else getattr(settings, f.name)
        env[ENV_PREFIX + f.name.upper()] = str(value)
    return env


def box_children(settings: Settings, dialplan_dir: Path | None) -> list[ChildSpec]:
    """One box's processes: the pbx's runner, the scheduler and the web, logging to the instance dir."""
    exe = str(Path(sys.executable).with_name("switchboard"))
    env = child_env(settings)
    logs = settings.instance_dir
    runner = [exe, "runner", "--pbx", NODE, *(["--dialplan-dir", str(dialplan_dir)] if dialplan_dir else [])]
    return [
        ChildSpec("runner", tuple(runner), env, logs / "runner.log"),
        ChildSpec("scheduler", (exe, "scheduler"), env, logs / "scheduler.log"),
        ChildSpec("web", (exe, "web", "--host", settings.web_host, "--port", str(settings.web_port)), env,
                  logs / "web.log"),
    ]


def logged_in_report(settings: Settings) -> str:
    """Which agents stay logged in on the box's node now that its runner is stopped."""
    from store import models as m
    from store.db import make_engine, session_factory
    from store.enums import AgentState

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine)() as s:
            rows = s.execute(
                select(m.User.username, m.Seat.extension, m.Agent.state)
                .join(m.Agent.user).join(m.Agent.seat).join(m.Seat.node)
                .where(m.PbxNode.name == NODE, m.Agent.state != AgentState.LOGGED_OUT)
                .order_by(m.User.username)).all()
    except SQLAlchemyError as exc:
        return f"stopped; cannot tell which agents are still logged in ({type(exc).__name__})"
    finally:
        engine.dispose()
    if not rows:
        return "stopped; no agent was logged in"
    agents = ", ".join(f"{user} at seat {seat} ({state.value})" for user, seat, state in rows)
    return (f"stopped; left logged in, not logged out: {agents}. The runner logs them in again when "
            "it starts; an agent or a supervisor logs them out from the panel.")


def ensure_demo_admin(settings: Settings) -> bool:
    """A first admin for the demo box, so the admin can be opened at once.

    Only when the database has no admin at all: a real installation creates its
    own with `switchboard admin create`. The password is random and kept (0600)
    in the instance dir, never printed to a log. True when the demo admin exists.
    """
    from settings import instance_secret
    from store import models as m
    from store.db import make_engine, session_factory
    from store.enums import UserRole
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


def seed_demo(settings: Settings) -> str:
    """The sandbox's pbx node, its phones as seats, and the demo: agents at four of them and a campaign;
    returns what it did, for the console.

    The demo is seeded once, the campaign's existence being the marker: a later
    run only refreshes what the sandbox owns (the node's AMI secret, the phones'
    seats and secrets) and tops a running campaign up with fresh leads when none
    is left to dial. It never sets the campaign's state, moves an agent to a seat
    or logs anyone in: that is the supervisor's (and the runner's) business now.
    """
    from lab import demo
    from lab.sandbox.credentials import connection_info, phone_credentials
    from lab.sandbox.layout import paths
    from settings import instance_secret
    from store import models as m
    from store.db import make_engine, session_factory
    from store.enums import CampaignMode, CampaignState

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine).begin() as s:
            pbx = connection_info(settings).pbx
            node = demo.ensure_node(s, demo.NodeSpec(NODE, pbx.host, pbx.port, pbx.username, pbx.secret,
                                                     str(paths(settings).monitor_dir)))
            phones = [(p.extension, p.secret) for p in phone_credentials(settings)]
            demo.ensure_seats(s, node, phones)
            campaign = s.scalar(select(m.Campaign).where(m.Campaign.name == DEMO_CAMPAIGN))
            if campaign is None:
                password = instance_secret(settings.instance_dir, DEMO_AGENT_SECRET)
                agents = demo.ensure_agents(s, node, phones[:DEMO_AGENTS], password)
                campaign = demo.create_campaign(s, DEMO_CAMPAIGN, CampaignMode.PROGRESSIVE, _demo_numbers(0),
                                                wrap_up_s=5, abandon_message_text="Sorry we missed you.")
                demo.log_in(s, node, campaign, agents)
                return (f"demo campaign {campaign.name!r} created: {DEMO_AGENTS} agents (the sandbox phones "
                        f"agent001..) dialing the world; their password is kept in "
                        f"{settings.instance_dir / DEMO_AGENT_SECRET}")
            if campaign.desired_state is CampaignState.RUNNING and _dialable(s, campaign.id) == 0:
                _add_leads(s, campaign, _demo_numbers(_lead_count(s, campaign.id)))
            return (f"demo campaign {campaign.name!r} is {campaign.desired_state.value}, left as it was "
                    "(seeded on the first run only)")
    finally:
        engine.dispose()


def provision_sandbox_seats(settings: Settings) -> None:
    """Write the sandbox pbx's seats file from the database (merged with its phones) and reload it.

    Commit first (``seed_demo``), then reload: the file always matches the
    database, whatever an earlier provisioning left in it. A failure is only
    reported: the runner and the admin work without it.
    """
    from lab.sandbox.credentials import phone_credentials
    from lab.sandbox.layout import TRANSPORT, paths
    from store import models as m
    from store.db import make_engine, session_factory
    from web.seats.services import SeatError, provision

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine)() as s:
            node = s.scalar(select(m.PbxNode).where(m.PbxNode.name == NODE))
            provision(s, node, paths(settings).seats_file, TRANSPORT, phone_credentials(settings))
    except (SeatError, OSError, TimeoutError, ConnectionError) as exc:
        click.echo(f"warning: could not provision the sandbox pbx's seats: {exc}", err=True)
    finally:
        engine.dispose()


def _demo_numbers(first_serial: int) -> list[str]:
    """A mix the world plays: humans who talk 15-40 s, busy, no answer, machines, bad numbers."""
    from lab.sandbox.world import Outcome, world_number

    pattern = [(Outcome.HUMAN, 25), (Outcome.BUSY, 2), (Outcome.HUMAN, 40), (Outcome.NO_ANSWER, 8),
               (Outcome.MACHINE, 20), (Outcome.HUMAN, 15), (Outcome.UNALLOCATED, 1), (Outcome.HUMAN, 30)]
    return [world_number(outcome, talk, (first_serial + i) % 1000)
            for i, (outcome, talk) in enumerate(pattern * 5)]


def _dialable(s: Session, campaign_id: int) -> int:
    from store import models as m
    from store.enums import DIALABLE_LEAD_STATUSES

    return s.scalar(select(func.count()).select_from(m.Lead).where(
        m.Lead.campaign_id == campaign_id, m.Lead.status.in_(DIALABLE_LEAD_STATUSES)))


def _lead_count(s: Session, campaign_id: int) -> int:
    from store import models as m

    return s.scalar(select(func.count()).select_from(m.Lead).where(m.Lead.campaign_id == campaign_id))


def _add_leads(s: Session, campaign, numbers: list[str]) -> None:
    from store import models as m

    lead_list = campaign.lists[0]
    known = set(s.scalars(select(m.Lead.phone).where(m.Lead.list_id == lead_list.id)))
    s.add_all(m.Lead(list_id=lead_list.id, campaign_id=campaign.id, phone=n)
              for n in numbers if n not in known)
