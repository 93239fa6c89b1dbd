"""The live sandbox for the contract suite: the Asterisk pair and the FreeSWITCH node, one world."""

from __future__ import annotations

import pytest

from lab.campaign import Sandbox, sandbox_up
from settings import load_settings


@pytest.fixture(scope="session")
def live_sandbox() -> Sandbox:
    """Both PBXes up (a no-op when they are); bringing up the FreeSWITCH side also gives a running
    world this checkout's dialplan (``fscli.sync_world``), e.g. the ``keypad`` numbers."""
    return sandbox_up(load_settings(), "all")
