"""`switchboard run`: one box, everything — the README's first command after install.

Order matters: the PBX sandbox first, both kinds (so the web app can show
registrations; the first run builds FreeSWITCH, minutes, cached), then the
schema, then the demo — one progressive campaign on each PBX node, seeded once:
a later run never changes what a supervisor did to it — then the long-running
processes, each its own child process kept up by
:class:`~switchboard.supervisor.Supervisor`: one runner per node (the Asterisk
``pbx`` and the FreeSWITCH node), the scheduler, the web admin and the SMS
sender (through the sandbox's Kannel). SIGTERM or
Ctrl-C stops them all; agents logged in stay logged in (the runners log them in
again when they start), and the run says which.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lab.demo import NodeSpec
from settings import ENV_PREFIX, Settings
from store.enums import PbxKind
from store.sealing import Sealer
from switchboard.supervisor import ChildSpec, Supervisor
from web.leaddata.destruction import Wiper

if TYPE_CHECKING:
    from store import models as m

DEMO_CAMPAIGN = "Demo (progressive)"
FS_DEMO_CAMPAIGN = "Demo on FreeSWITCH (progressive)"
DEMO_AGENTS = 4
NODE = "pbx"
#: The FreeSWITCH node's row: named as the node presents itself to the web app's mod_xml_curl endpoint.
FS_NODE = "sandbox-freeswitch"
DEMO_ADMIN = "admin"
DEMO_ADMIN_SECRET = "demo_admin_password"
DEMO_AGENT_SECRET = "demo_agent_password"  # the demo agents' password, generated and kept like the admin's


def run_all(settings: Settings) -> None:
    from lab.sandbox import cli as sandbox_cli
    from lab.sandbox.layout import paths, provisioning_settings
    from store import migrate
    from store.sealing import instance_sealer

    settings = provisioning_settings(settings)  # the web's "Provision and reload" targets the sandbox pbx
    announce_freeswitch_build(settings)
    sandbox_cli.up(settings, "all")
    migrate.upgrade(settings.sqlalchemy_url, "head", sealer=instance_sealer(settings))
    seeded = seed_demo(settings)
    provision_sandbox_seats(settings)
    admin_password = ensure_demo_admin(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    supervisor = Supervisor(box_children(settings, paths(settings).pbx_config_dir))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, supervisor.request_stop)
    for line in seeded:
        click.echo(line)
    click.echo(f"web admin on http://{settings.web_host}:{settings.web_port}/ (wallboard, calls, recordings)")
    if admin_password:
        click.echo(f"log in as {DEMO_ADMIN!r} with the password kept in "
                   f"{settings.instance_dir / DEMO_ADMIN_SECRET} (generated on the first run)")
    click.echo("the runners (Asterisk and FreeSWITCH), scheduler, web and SMS sender are restarted if they "
               "die; Ctrl-C stops them all")
    supervisor.run()
    click.echo(logged_in_report(settings))


def announce_freeswitch_build(settings: Settings) -> None:
    """Say before the wait that the first run compiles FreeSWITCH: minutes of silence look like a hang."""
    from lab.sandbox import fsbuild

    prefix = fsbuild.prefix_dir(settings.sandbox_cache.resolve())
    if not fsbuild.is_built(prefix):
        click.echo(f"first run: building FreeSWITCH 1.10.12 from source for the FreeSWITCH demo node "
                   f"(about 4 minutes on an idle machine, up to 12 under load; cached in {prefix}, "
                   "later runs start at once)")


def child_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process exactly these settings (a --config file included)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != ENV_PREFIX + "CONFIG"}
    for f in fields(settings):
        value = settings.sqlalchemy_url if f.name == "database_url" else getattr(settings, f.name)
        env[ENV_PREFIX + f.name.upper()] = str(value)
    return env


def box_children(settings: Settings, dialplan_dir: Path | None) -> list[ChildSpec]:
    """One box's processes: a runner per node (Asterisk pbx, FreeSWITCH), the scheduler, the web and the
    SMS sender (to the sandbox's Kannel), logging to the instance dir. FreeSWITCH fetches its routes
    over mod_xml_curl: no dialplan dir. Each runner gets its node's fax directory (and the pbx's its fax
    number): with the defaults the demo's faxes failed (FILE_ERROR, the PBX could not read the TIFF)."""
    from lab.sandbox import faxes

    exe = str(Path(sys.executable).with_name("switchboard"))
    env = child_env(settings)
    logs = settings.instance_dir
    runner = [exe, "runner", "--pbx", NODE, *(["--dialplan-dir", str(dialplan_dir)] if dialplan_dir else [])]
    return [
        ChildSpec("runner", tuple(runner), {**env, **faxes.runner_env(settings, PbxKind.ASTERISK)},
                  logs / "runner.log"),
        ChildSpec("runner-freeswitch", (exe, "runner", "--pbx", FS_NODE),
                  {**env, **faxes.runner_env(settings, PbxKind.FREESWITCH)}, logs / "runner-freeswitch.log"),
        ChildSpec("scheduler", (exe, "scheduler"), env, logs / "scheduler.log"),
        ChildSpec("web", (exe, "web", "--host", settings.web_host, "--port", str(settings.web_port)), env,
                  logs / "web.log"),
        ChildSpec("sms-sender", (exe, "sms-sender"), env, logs / "sms-sender.log"),
    ]


def logged_in_report(settings: Settings) -> str:
    """Which agents stay logged in on the box's nodes now that their runners are stopped."""
    from store import models as m
    from store.db import make_engine, session_factory
    from store.enums import AgentState

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine)() as s:
            rows = s.execute(
                select(m.User.username, m.Seat.extension, m.Agent.state)
                .join(m.Agent.user).join(m.Agent.seat).join(m.Seat.node)
                .where(m.PbxNode.name.in_((NODE, FS_NODE)), m.Agent.state != AgentState.LOGGED_OUT)
                .order_by(m.User.username)).all()
    except SQLAlchemyError as exc:
        return f"stopped; cannot tell which agents are still logged in ({type(exc).__name__})"
    finally:
        engine.dispose()
    if not rows:
        return "stopped; no agent was logged in"
    agents = ", ".join(f"{user} at seat {seat} ({state.value})" for user, seat, state in rows)
    return (f"stopped; left logged in, not logged out: {agents}. The runners log them in again when "
            "they start; an agent or a supervisor logs them out from the panel.")


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


@dataclass(frozen=True)
class DemoSite:
    """One node's part of the demo: the node, the sandbox phones registered to it, its campaign."""

    node: NodeSpec
    phones: list[tuple[str, str]]  # (extension, secret) of the sandbox phones registered to that node
    campaign: str
    area_code: str  # the demo's numbers: one area (and time zone) per node, to tell the calls apart
    hotline_did: str  # the number the world calls to reach the node's demo hotline


def demo_sites(settings: Settings) -> list[DemoSite]:
    """The Asterisk pbx (agents agent001..) and the FreeSWITCH node (agents fsagent001..)."""
    from lab.sandbox.credentials import (
        connection_info,
        freeswitch_secrets,
        fs_phone_credentials,
        phone_credentials,
    )
    from lab.sandbox.layout import paths
    from provisioning.freeswitch import RECORDINGS_DIR as FREESWITCH_RECORDINGS_DIR

    pbx = connection_info(settings).pbx
    esl_password = freeswitch_secrets(settings).esl_password
    return [
        DemoSite(NodeSpec(NODE, pbx.host, pbx.port, pbx.username, pbx.secret,
                          str(paths(settings).monitor_dir)),
                 [(p.extension, p.secret) for p in phone_credentials(settings)], DEMO_CAMPAIGN, "201",
                 "14005550410"),
        DemoSite(NodeSpec(FS_NODE, "127.0.0.1", settings.esl_port, "", esl_password,
                          FREESWITCH_RECORDINGS_DIR, PbxKind.FREESWITCH),
                 [(p.extension, p.secret) for p in fs_phone_credentials(settings)], FS_DEMO_CAMPAIGN, "312",
                 "14005550411"),
    ]


def seed_demo(settings: Settings) -> list[str]:
    """Each node of the sandbox, its phones as seats, and its demo: agents at four of them and a campaign;
    returns what it did, a line per campaign, for the console.

    Each campaign is seeded once, its existence being the marker (a box that ran
    before the FreeSWITCH demo existed gets it on its next run): a later run only
    refreshes what the sandbox owns (the node's secret, the phones' seats and
    secrets) and tops a running campaign up with fresh leads when none is left to
    dial. It never sets a campaign's state, moves an agent to a seat or logs
    anyone in: that is the supervisor's (and the runner's) business now.
    """
    from settings import instance_secret
    from store.db import make_engine, session_factory
    from store.sealing import instance_sealer

    password = instance_secret(settings.instance_dir, DEMO_AGENT_SECRET)
    sealer = instance_sealer(settings)
    # as the web app's destruction pages build it (web.leaddata.views.wiper)
    wiper = Wiper.of(sealer, settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine).begin() as s:
            from lab.demo import ensure_articles, ensure_complaint

            sites = demo_sites(settings)
            seeded = [_seed_site(s, sealer, site, password) for site in sites]
            return [*seeded, _seed_lead_data(s, sites[0], wiper), ensure_articles(s),
                    ensure_complaint(s, f"Demo team ({sites[0].node.name})")]
    finally:
        engine.dispose()


def _seed_site(s: Session, sealer: Sealer, site: DemoSite, password: str) -> str:
    from lab import demo
    from store import models as m
    from store.enums import CampaignMode, CampaignState

    node, phones = demo.ensure_node(s, sealer, site.node), site.phones
    demo.ensure_seats(s, sealer, node, phones)
    campaign = s.scalar(select(m.Campaign).where(m.Campaign.name == site.campaign))
    if campaign is None:
        agents = demo.ensure_agents(s, sealer, node, phones[:DEMO_AGENTS], password)
        campaign = demo.create_campaign(s, site.campaign, CampaignMode.PROGRESSIVE,
                                        _demo_numbers(0, site.area_code), wrap_up_s=5,
                                        abandon_message_text="Sorry we missed you.")
        demo.log_in(s, node, campaign, agents)
        quality = demo.ensure_quality(s, agents, f"Demo team ({node.name})")
        return (f"demo campaign {campaign.name!r} created on node {node.name!r}: {DEMO_AGENTS} agents "
                f"(the sandbox phones {phones[0][0]}..) dialing the world; they log in with the password "
                f"kept in {DEMO_AGENT_SECRET} in the instance dir; QA: {quality}"
                f"{_seed_hotline(s, sealer, node, site, agents, password)}")
    if campaign.desired_state is CampaignState.RUNNING and _dialable(s, campaign.id) == 0:
        demo.add_leads(s, campaign, campaign.lists[0],
                       _fresh(s, campaign, _demo_numbers(_lead_count(s, campaign.id), site.area_code)))
    demo_users = [extension for extension, _ in phones[:DEMO_AGENTS]]
    agents = s.scalars(select(m.Agent).join(m.Agent.user).where(m.User.username.in_(demo_users))).all()
    quality = demo.ensure_quality(s, agents, f"Demo team ({node.name})")
    return (f"demo campaign {campaign.name!r} is {campaign.desired_state.value}, left as it was "
            f"(seeded on the first run only); QA: {quality}"
            f"{_seed_hotline(s, sealer, node, site, agents, password)}")


def _seed_hotline(s: Session, sealer: Sealer, node: m.PbxNode, site: DemoSite, agents: Sequence[m.Agent],
                  password: str) -> str:
    """The node's demo hotline (once; ``demo.ensure_hotline``): the phone after the demo agents'
    is its seat, the last two demo agents its overflow; what to tell the console, or nothing."""
    from lab import demo

    route = demo.ensure_hotline(s, sealer, node, site.hotline_did, site.phones[DEMO_AGENTS], agents[-2:],
                                password)
    if route is None:
        return ""
    return (f"; hotline {site.hotline_did}: seat {site.phones[DEMO_AGENTS][0]}, overflowing to "
            f"{', '.join(a.user.username for a in agents[-2:])} after {route.overflow_after_s} s; call it "
            f"with: switchboard pbx sandbox call-in {site.hotline_did} --node {node.kind.value}")


def _seed_lead_data(s: Session, site: DemoSite, wiper: Wiper) -> str:
    """Bought lead data at each stage (``lab.demo.ensure_lead_data``) on the Asterisk site's campaign and
    agents, once (a box seeded before it existed gets it on its next run)."""
    from lab import demo
    from store import models as m

    campaign = s.scalars(select(m.Campaign).where(m.Campaign.name == site.campaign)).one()
    users = [extension for extension, _ in site.phones[:DEMO_AGENTS]]
    agents = s.scalars(select(m.Agent).join(m.Agent.user).where(m.User.username.in_(users))
                       .order_by(m.Agent.id)).all()
    return demo.ensure_lead_data(s, campaign, agents, f"Demo team ({site.node.name})",
                                 lambda serial, n: _demo_numbers(serial, site.area_code)[:n], wiper)


def provision_sandbox_seats(settings: Settings) -> None:
    """Write the sandbox pbx's seats file from the database (its phones are seats there) and reload it.

    Commit first (``seed_demo``), then reload: the file always matches the
    database, whatever an earlier provisioning left in it. A failure is only
    reported: the runner and the admin work without it. The FreeSWITCH node
    needs no file: it asks the web app for its seats (mod_xml_curl) and falls
    back to the static copy of the sandbox phones its configuration carries.
    """
    from lab.sandbox.layout import provisioning_settings
    from store import models as m
    from store.db import make_engine, session_factory
    from store.sealing import instance_sealer
    from web.seats.services import SeatError, provision

    target = provisioning_settings(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_factory(engine)() as s:
            node = s.scalar(select(m.PbxNode).where(m.PbxNode.name == NODE))
            provision(s, instance_sealer(settings), node, Path(target.seats_conf_path),
                      target.pjsip_transport)
    except (SeatError, OSError, TimeoutError, ConnectionError) as exc:
        click.echo(f"warning: could not provision the sandbox pbx's seats: {exc}", err=True)
    finally:
        engine.dispose()


def _demo_numbers(first_serial: int, area_code: str) -> list[str]:
    """A mix the world plays: humans who talk 15-40 s, busy, no answer, machines, bad numbers."""
    from lab.sandbox.world import Outcome, world_number

    pattern = [(Outcome.HUMAN, 25), (Outcome.BUSY, 2), (Outcome.HUMAN, 40), (Outcome.NO_ANSWER, 8),
               (Outcome.MACHINE, 20), (Outcome.HUMAN, 15), (Outcome.UNALLOCATED, 1), (Outcome.HUMAN, 30)]
    return [world_number(outcome, talk, (first_serial + i) % 1000, area_code=area_code)
            for i, (outcome, talk) in enumerate(pattern * 5)]


def _dialable(s: Session, campaign_id: int) -> int:
    from store import models as m
    from store.enums import DIALABLE_LEAD_STATUSES

    return s.scalar(select(func.count()).select_from(m.Lead).where(
        m.Lead.campaign_id == campaign_id, m.Lead.status.in_(DIALABLE_LEAD_STATUSES)))


def _lead_count(s: Session, campaign_id: int) -> int:
    from store import models as m

    return s.scalar(select(func.count()).select_from(m.Lead).where(m.Lead.campaign_id == campaign_id))


def _fresh(s: Session, campaign, numbers: list[str]) -> list[str]:
    """Those of ``numbers`` not already in the campaign's list."""
    from store import models as m

    known = set(s.scalars(select(m.Lead.phone).where(m.Lead.list_id == campaign.lists[0].id)))
    return [n for n in numbers if n not in known]
