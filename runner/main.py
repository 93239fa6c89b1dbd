"""``switchboard runner --pbx NAME``: logging, database, then the node's runner until SIGTERM.

The node's kind picks the runtime: Asterisk -> the asyncio AMI runner,
FreeSWITCH -> the gevent ESL runner. Each is imported only on its own path, so
one process never holds both runtimes.

A node set for a standby (``PbxNode.standby``, PostgreSQL only) runs two of
these processes: each waits for the node's lease (``runner.lease``) and acts
only while it holds it (:func:`serve_with_standby`). A node without one has no
lease: its single runner is never stopped by the database, however long it is out.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from dialplans.render import DialplanParams
from orchestrator.node.lease import LeaseLost
from provisioning import ivr, prompts
from provisioning.dialplan import params as dialplan_params
from runner.faxes import FaxConfig
from runner.lease import (
    NodeLease,
    StandbyNeedsPostgres,
    StandbySwitchedOn,
    limit_idle_transactions,
    wait_while_leased,
)
from runner.node import NodeInfo, RunnerOptions, UnknownNode, load_node
from runner.outage import DbGate, short_lock_wait
from settings import Settings
from store.db import make_engine, session_factory
from store.enums import PbxKind
from store.sealing import Sealer, instance_sealer

log = logging.getLogger("runner")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"  # messages are key=value, never secrets


def node_info(sessions: sessionmaker[Session], pbx_name: str, sealer: Sealer) -> NodeInfo:
    """The node's row, once the database answers (retried with backoff; SIGTERM still stops us)."""
    gate = DbGate()
    previous = signal.signal(signal.SIGTERM, _exit_now)
    try:
        while True:
            try:
                with sessions() as session:
                    return load_node(session, pbx_name, sealer)
            except DBAPIError as exc:
                gate.failed("reading the node", exc)
                time.sleep(gate.retry_in())
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_now(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _with_menus(sessions: sessionmaker[Session], node_id: int, dialplan: DialplanParams,
                dialplan_dir: Path) -> DialplanParams:
    """``dialplan`` with the node's IVR menus, their prompts written beside it (as the web provisions)."""
    with sessions() as session:
        prompts.write_prompts(session, dialplan_dir / prompts.ASTERISK_PROMPTS)
        return replace(dialplan, ivr=ivr.asterisk_plan(session, node_id))


def main(settings: Settings, pbx_name: str, dialplan_dir: Path | None, originates_per_s: float,
         log_level: str, *, liveness_s: float = 10.0) -> None:
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    engine = make_engine(settings.sqlalchemy_url)
    short_lock_wait(engine)
    sessions = session_factory(engine)
    try:
        dialplan = dialplan_params(settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    options = RunnerOptions(dialplan_dir=dialplan_dir, originates_per_s=originates_per_s,
                            liveness_s=liveness_s, fax=FaxConfig.from_settings(settings), dialplan=dialplan)
    try:
        while True:
            node = node_info(sessions, pbx_name, instance_sealer(settings))
            if node.kind is PbxKind.FREESWITCH and dialplan_dir is not None:
                raise click.ClickException("--dialplan-dir is for Asterisk nodes: FreeSWITCH fetches its "
                                           "dialplan from `switchboard web` over mod_xml_curl")
            if dialplan_dir is not None:  # the admin's IVR menus in the dialplan installed at the start
                options = replace(options, dialplan=_with_menus(sessions, node.id, dialplan, dialplan_dir))
            if node.standby:
                try:
                    lease = NodeLease(sessions, node.id)
                except StandbyNeedsPostgres as exc:
                    raise click.ClickException(f"node {node.name}: {exc}") from None
                limit_idle_transactions(engine, lease.terms)
                serve_with_standby(sessions, node, options, lease)
                return
            try:
                with SigtermWait() as sigterm:
                    if not wait_while_leased(sessions, node.id, sigterm.sleep):
                        return
                _run(sessions, node, options, None)
                return
            except StandbySwitchedOn as exc:
                log.warning("%s: starting again with the node's lease", exc)
    except UnknownNode as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


def serve_with_standby(sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions,
                       lease: NodeLease) -> None:
    """Stand by until this process holds the node's lease, act until it is lost, stand by again.

    Every time the lease is taken the runner is built anew and recovers from the store and the
    PBX's live channels (``NodeCore.recover``, ``PbxConnected``), as after a restart: a runner that
    lost its lease keeps nothing of what it knew. A clean stop (SIGTERM) hands the lease on at once.
    The wait's SIGTERM handler stays until the runtime has its own: a SIGTERM between taking the
    lease and the runtime's start (importing it, building the runner) is remembered and stops the
    runtime as it starts, which hands the lease on, instead of killing the process with the lease held.
    """
    while True:
        with SigtermWait() as sigterm:
            if not lease.wait(sigterm.sleep):
                return
            try:
                _run(sessions, node, options, lease, stopped=lambda: sigterm.received)
            except LeaseLost as exc:
                log.warning("lease lost node=%s, standing by: %s", node.name, exc)
                continue
        lease.release()
        return


def _run(sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions,
         lease: NodeLease | None, stopped: Callable[[], bool] = lambda: False) -> None:
    """The node's runtime: asyncio for Asterisk, gevent for FreeSWITCH (imported only on its path).
    ``stopped``: a SIGTERM came before the runtime's own handler was there (it stops at once)."""
    if node.kind is PbxKind.FREESWITCH:
        from runner import esl_runner

        esl_runner.run_forever(sessions, node, options, lease=lease, stopped=stopped)
    else:
        from runner import ami_runner

        ami_runner.run_forever(sessions, node, options, lease=lease, stopped=stopped)


class SigtermWait:
    """While a runner only waits (for the lease, or for another runner to let it go): SIGTERM ends the
    wait at its next pause, never in the middle of a database call."""

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None

    def __enter__(self) -> SigtermWait:
        self._previous = signal.signal(signal.SIGTERM, self._received)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGTERM, self._previous)

    def _received(self, _signum: int, _frame: object) -> None:
        self.received = True

    def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds`` (cut short by SIGTERM); True when SIGTERM came."""
        if not self.received:
            time.sleep(seconds)
        return self.received
