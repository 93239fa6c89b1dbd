"""``switchboard runner --pbx NAME``: logging, database, then the node's runner until SIGTERM.

The node's kind picks the runtime: Asterisk -> the asyncio AMI runner,
FreeSWITCH -> the gevent ESL runner. Each is imported only on its own path, so
one process never holds both runtimes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from orchestrator.store.db import make_engine, session_factory
from orchestrator.store.enums import PbxKind
from switchboard.config import Settings
from switchboard.runner.node import RunnerOptions, UnknownNode, load_node
from switchboard.runner.outage import short_lock_wait

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"  # messages are key=value, never secrets


def main(settings: Settings, pbx_name: str, dialplan_dir: Path | None, originates_per_s: float,
         log_level: str) -> None:
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    engine = make_engine(settings.sqlalchemy_url)
    short_lock_wait(engine)
    sessions = session_factory(engine)
    options = RunnerOptions(dialplan_dir=dialplan_dir, originates_per_s=originates_per_s)
    try:
        with sessions() as session:
            kind = load_node(session, pbx_name).kind
        if kind is PbxKind.FREESWITCH:
            if dialplan_dir is not None:
                raise click.ClickException("--dialplan-dir is for Asterisk nodes: FreeSWITCH fetches its "
                                           "dialplan from `switchboard web` over mod_xml_curl")
            from switchboard.runner import esl_runner

            esl_runner.run_forever(sessions, pbx_name, options)
        else:
            from switchboard.runner import ami_runner

            ami_runner.run_forever(sessions, pbx_name, options)
    except UnknownNode as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
