"""``switchboard runner --pbx NAME``: logging, database, then the AMI runner until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from orchestrator.store.db import make_engine, session_factory
from switchboard.config import Settings
from switchboard.runner.ami_runner import RunnerOptions, UnknownNode, run_forever

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"  # messages are key=value, never secrets


def main(settings: Settings, pbx_name: str, dialplan_dir: Path | None, originates_per_s: float,
         log_level: str) -> None:
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        run_forever(session_factory(engine), pbx_name, RunnerOptions(dialplan_dir=dialplan_dir,
                                                                  originates_per_s=originates_per_s))
    except UnknownNode as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
