"""``switchboard runner`` for ``bench.live``: the same AMI or ESL runner, with a fixed-ratio policy.

Only 8 agent phones exist on the sandbox, so the benchmark's load comes from a
high dial ratio (most calls are busy, unanswered or machines); the production
predictive policy would never dial 300 lines for 8 agents. The node's kind
picks the runner, as ``switchboard runner`` does (Asterisk -> AMI, FreeSWITCH ->
ESL, each imported only on its own path).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from orchestrator.pacing.simple import FixedRatioPolicy
from runner.main import LOG_FORMAT, node_info
from runner.node import RunnerOptions
from settings import load_settings
from store.db import make_engine, session_factory
from store.enums import PbxKind
from store.sealing import instance_sealer


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_runner")
    parser.add_argument("--pbx", required=True)
    parser.add_argument("--dialplan-dir", type=Path, default=None, help="Asterisk nodes only")
    parser.add_argument("--originates-per-s", type=float, required=True)
    parser.add_argument("--ratio", type=float, required=True, help="lines per ready agent")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url)
    sessions = session_factory(engine)
    options = RunnerOptions(dialplan_dir=args.dialplan_dir, originates_per_s=args.originates_per_s,
                            policy_for=lambda _campaign: FixedRatioPolicy(args.ratio))
    try:
        node = node_info(sessions, args.pbx, instance_sealer(settings))
        if node.kind is PbxKind.FREESWITCH:
            from runner import esl_runner

            esl_runner.run_forever(sessions, node, options)
        else:
            from runner import ami_runner

            ami_runner.run_forever(sessions, node, options)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
