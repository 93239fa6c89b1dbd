"""The live sandbox for the contract suite: the Asterisk pair and the FreeSWITCH node, one world."""

from __future__ import annotations

import pytest

from lab.campaign import Sandbox, sandbox_up
from lab.sandbox import process
from lab.sandbox.layout import nodes, paths
from runner import install
from settings import load_settings


@pytest.fixture(scope="session")
def live_sandbox() -> Sandbox:
    """Both PBXes up (a no-op when they are) on this checkout's routes: bringing up the FreeSWITCH
    side rewrites a running node's config and a running world's dialplan (``fscli.sync_node``,
    ``sync_world``: e.g. the ``keypad`` numbers); the pbx gets the rendered dialplan a runner
    would install (e.g. ``sb-inbound``, where the world's calls arrive)."""
    settings = load_settings()
    sandbox = sandbox_up(settings, "all")
    if install.write(paths(settings).pbx_config_dir):
        process.cli(nodes(settings)["pbx"], "dialplan reload")
    return sandbox
