"""The ``switchboard`` console script: one entry point, one subcommand per process.

Each subcommand imports its implementation lazily so that, e.g., the gevent
based ESL runner never shares a process with the asyncio AMI runner.
"""

from __future__ import annotations

from pathlib import Path

import click

from settings import load_settings
from store.enums import UserRole


def _lab(module: str):
    """A module of the development lab (sandbox, demo), which a source checkout has and a wheel does not."""
    from importlib import import_module

    try:
        return import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in ("lab", module):
            raise
        raise click.ClickException(
            "the development lab (PBX sandbox, demo) runs from a source checkout (scripts/bootstrap); "
            "it is not part of the installed package") from exc


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="TOML settings file (default: $SWITCHBOARD_CONFIG, then built-in defaults).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Switchboard: call-centre orchestration for Asterisk and FreeSWITCH."""
    try:
        ctx.obj = load_settings(Path(config_path) if config_path else None)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def pbx() -> None:
    """PBX nodes and the local Asterisk sandbox."""


@pbx.group()
def sandbox() -> None:
    """Two real Asterisk instances on loopback: `pbx` (under test) and `world` (carrier + phones)."""


_KINDS = click.Choice(["asterisk", "freeswitch", "sms", "all"])


@sandbox.command("up")
@click.option("--kind", type=_KINDS, default="asterisk", show_default=True,
              help="asterisk: pbx + world; freeswitch: the FreeSWITCH node and the world "
                   "(its carrier); all: both.")
@click.pass_obj
def sandbox_up(settings, kind: str) -> None:
    """Build (once, cached) and start the instances of a kind; idempotent."""
    sandbox_cli = _lab("lab.sandbox.cli")
    sandbox_cli.up(settings, kind)


@sandbox.command("down")
@click.option("--kind", type=_KINDS, default="all", show_default=True)
@click.pass_obj
def sandbox_down(settings, kind: str) -> None:
    """Stop exactly the processes `up` started (those our pid files name)."""
    sandbox_cli = _lab("lab.sandbox.cli")
    sandbox_cli.down(settings, kind)


@sandbox.command("status")
@click.pass_obj
def sandbox_status(settings) -> None:
    """Report both instances."""
    sandbox_cli = _lab("lab.sandbox.cli")
    sandbox_cli.status(settings)


@sandbox.command("call-in")
@click.argument("number")
@click.option("--node", type=click.Choice(["asterisk", "freeswitch"]), default="asterisk", show_default=True,
              help="The node the world calls: the Asterisk pbx or the FreeSWITCH node.")
@click.option("--from", "caller", default="12125550199", show_default=True, help="The caller's number.")
@click.option("--talk", "talk_s", type=click.IntRange(1, 3600), default=60, show_default=True,
              help="Seconds the caller stays on after the node answers (its phone prompt in a loop).")
@click.pass_obj
def sandbox_call_in(settings, number: str, node: str, caller: str, talk_s: int) -> None:
    """The world (the carrier) calls NUMBER on a node, as a customer would: the demo hotline, say."""
    from store.enums import PbxKind

    calls, credentials = _lab("lab.sandbox.calls"), _lab("lab.sandbox.credentials")
    try:
        channel = calls.call_in(credentials.connection_info(settings).world, PbxKind(node), number, caller,
                                talk_s=talk_s)
    except (ValueError, RuntimeError, OSError, TimeoutError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"the world is calling {number} on the {node} node from {caller} (world channel {channel}); "
               f"the caller hangs up {talk_s} s after the answer")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def db_upgrade(settings, revision: str) -> None:
    """Create or migrate the schema with Alembic."""
    from store import migrate
    from store.sealing import instance_sealer

    migrate.upgrade(settings.sqlalchemy_url, revision, sealer=instance_sealer(settings))
    click.echo(f"database at {revision}: {migrate.display_url(settings.sqlalchemy_url)}")


@main.group()
def admin() -> None:
    """Web users created from the command line."""


@admin.command("create")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else prompt).")
@click.option("--role", type=click.Choice([role.value for role in UserRole]), default="admin",
              show_default=True, help="Any role of the centre (web.auth.roles says what each may do).")
@click.pass_obj
def admin_create(settings, username: str, password_stdin: bool, role: str) -> None:
    """Create a web user (the first admin); the schema must be up to date (`switchboard db upgrade`)."""
    import sys

    from web.auth.bootstrap import create_admin
    from web.auth.services import UserError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user_id = create_admin(settings.sqlalchemy_url, username, password, UserRole(role))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {role} {username!r} (id {user_id})")


@main.group()
def backup() -> None:
    """Database dumps and restores, and the recordings archive (deploy/systemd runs them on timers)."""


@backup.command("database")
@click.option("--to", "to_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the dumps (created 0700).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Then delete all but the N newest dumps of this database there (default: keep all).")
@click.pass_obj
def backup_database(settings, to_dir: Path, keep: int | None) -> None:
    """Dump the database: PostgreSQL with pg_dump (custom format), SQLite with its online backup;
    written under a temporary name and verified before it gets its own."""
    from datetime import UTC, datetime

    from store import backup as backups

    try:
        made = backups.dump(settings.sqlalchemy_url, to_dir, datetime.now(UTC))
        removed = backups.prune(made, keep) if keep else []
    except (backups.BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"dumped the database to {made} ({made.stat().st_size} bytes)")
    for old in removed:
        click.echo(f"removed the older dump {old}")


@backup.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace what the database holds (stop the web, runners and scheduler first).")
@click.pass_obj
def backup_restore(settings, file: Path, force: bool) -> None:
    """Restore a dump of `backup database` into the configured database, which must be empty
    (a new PostgreSQL database, a new SQLite file) unless --force."""
    from store import backup as backups
    from store.migrate import display_url
    from store.sealing import instance_sealer

    try:
        backups.restore(settings.sqlalchemy_url, file, force)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {file} into {display_url(settings.sqlalchemy_url)}; then run "
               "`switchboard db upgrade` if this version is newer than the dump's")
    if not backups.secrets_open(settings.sqlalchemy_url, instance_sealer(settings)):
        click.echo("warning: this secrets key does not open the restored seat and node secrets: put the "
                   "instance's secrets_key back from its own backup (or set SWITCHBOARD_SECRETS_KEY) before "
                   "starting the services", err=True)


@backup.command("recordings")
@click.option("--older-than", "days", required=True, type=click.IntRange(min=1),
              help="Move recordings of calls that began more than DAYS days ago.")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The archive directory: the recordings_archive_dir setting, from which the web plays them "
                   "(the default).")
@click.pass_obj
def backup_recordings(settings, days: int, archive: Path | None) -> None:
    """Move old recordings off the PBX spool into the archive; the call pages play them from there and
    say when they were archived. Nothing is deleted. Run it on the web host (it reads the recordings
    directories as the web does)."""
    from datetime import UTC, datetime, timedelta

    from store.db import make_engine, session_factory
    from web.calls.archive import archive_recordings

    root = settings.recordings_archive
    if archive is not None and archive.resolve() != root.resolve():
        raise click.ClickException(
            f"the web plays archived recordings from the recordings_archive_dir setting ({root}): set it "
            f"to {archive} for every process (SWITCHBOARD_RECORDINGS_ARCHIVE_DIR) rather than archiving "
            "elsewhere")
    engine = make_engine(settings.sqlalchemy_url)
    try:
        done = archive_recordings(session_factory(engine), settings.recordings_dir, root,
                                  timedelta(days=days), datetime.now(UTC))
    except OSError as exc:
        raise click.ClickException(f"archiving stopped: {exc}") from None
    finally:
        engine.dispose()
    for why in done.skipped:
        click.echo(f"left in place: {why}", err=True)
    click.echo(f"moved {done.moved} recordings ({done.bytes} bytes) to {root}")


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.pass_obj
def web(settings, host: str | None, port: int | None) -> None:
    """Serve the admin and agent panel (waitress)."""
    import logging

    from web.serve import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    serve(settings, host or settings.web_host, port or settings.web_port)


@main.command()
@click.option("--pbx", "pbx_name", required=True, help="Name of the PBX node this runner owns.")
@click.option("--dialplan-dir", type=click.Path(file_okay=False), default=None,
              help="A local Asterisk config dir: render the dialplan and amd.conf there, reload on connect.")
@click.option("--originates-per-s", type=float, default=20.0, show_default=True,
              help="Node-wide originate rate limit (what the PBX sustains with AMD).")
@click.option("--liveness-s", type=click.FloatRange(min=0.1, max=600), default=10.0, show_default=True,
              help="A PBX link silent this long is probed (AMI Ping, ESL api), and dropped and reconnected "
                   "when the probe goes unanswered as long again.")
@click.option("--log-level", default="INFO", show_default=True)
@click.pass_obj
def runner(settings, pbx_name: str, dialplan_dir: str | None, originates_per_s: float, liveness_s: float,
           log_level: str) -> None:
    """Own one PBX node's AMI/ESL connection and pace its agents."""
    from runner.main import main as runner_main

    runner_main(settings, pbx_name, Path(dialplan_dir) if dialplan_dir else None, originates_per_s, log_level,
                liveness_s=liveness_s)


@main.command()
@click.option("--sync-s", type=click.FloatRange(min=0.1, max=3600), default=30.0, show_default=True,
              help="How often campaign schedules are re-read from the database (seconds).")
@click.pass_obj
def scheduler(settings, sync_s: float) -> None:
    """The single APScheduler process that starts and stops campaigns on schedule."""
    import logging

    from orchestrator.quality.tickets import EscalationPolicy
    from store.sealing import instance_sealer
    from web.campaigns.scheduler import run
    from web.leaddata.destruction import Wiper

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        escalation = EscalationPolicy.parse(settings.ticket_director_after_h,
                                            settings.ticket_director_after_steps)
    except ValueError as exc:
        raise click.UsageError(f"settings ticket_director_after_h/_steps: {exc}") from None
    wiper = Wiper.of(instance_sealer(settings), settings)
    run(settings.sqlalchemy_url, sync_s, settings.recordings_dir, wiper, escalation)


@main.command("sms-sender")
@click.pass_obj
def sms_sender(settings) -> None:
    """The process that sends SMS broadcasts through Kannel at each broadcast's rate (SIGTERM stops it;
    a restart neither sends a message twice nor loses one)."""
    import logging
    import signal
    import threading

    from runner.sms_sender import run as run_sender

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    run_sender(settings, stop)


@main.command()
@click.option("--scenario", default="S1", show_default=True, help="World of BENCHMARKS.md: S1 ... S7.")
@click.option("--policy", "policy_name", default="ours", show_default=True,
              help="ours, oracle, progressive, ratio, vicidial-hard|tapered|average.")
@click.option("--ratio", type=float, default=3.0, show_default=True, help="Lines per ready agent (ratio).")
@click.option("--agents", type=int, default=None, help="Agents logged in (scenario default: 48).")
@click.option("--answer-rate", type=float, default=None, help="Measured live-answer rate per dial.")
@click.option("--talk-mean", type=float, default=None, help="Measured mean talk time (s).")
@click.option("--wrap-mean", type=float, default=None, help="Measured mean wrap-up time (s).")
@click.option("--cap", type=float, default=None, help="Abandon cap, e.g. 0.03.")
@click.option("--profile", type=click.Choice(["us", "uk"]), default=None, help="Compliance profile.")
@click.option("--days", type=int, default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--connects-per-hour", type=float, default=None,
              help="Staffing what-if: find the fewest agents reaching this many connects per hour.")
@click.pass_obj
def simulate(settings, scenario: str, policy_name: str, ratio: float, agents: int | None,
             answer_rate: float | None, talk_mean: float | None, wrap_mean: float | None,
             cap: float | None, profile: str | None, days: int, seed: int,
             connects_per_hour: float | None) -> None:
    """Discrete-event dialer simulation and staffing what-if."""
    from simulation import cli as sim_cli

    try:
        lines = sim_cli.run(scenario=scenario, policy=policy_name, ratio=ratio, agents=agents,
                            answer_rate=answer_rate, talk_mean=talk_mean, wrap_mean=wrap_mean, cap=cap,
                            profile=profile, days=days, seed=seed, connects_per_hour=connects_per_hour)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(lines))


@main.command()
@click.pass_obj
def run(settings) -> None:
    """Everything for one box: sandbox, schema, a demo campaign, and the runner, scheduler and web kept up."""
    _lab("lab.run_all").run_all(settings)
