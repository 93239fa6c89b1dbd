"""The real Asterisk sandbox for integration tests (``switchboard pbx sandbox up``).

The ``sandbox`` fixture brings it up once per session with the same settings
as the CLI (``SWITCHBOARD_*`` environment / config file) and leaves it running
for the next tests and runs; ``scripts``/CI call ``down`` at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from provisioning.sandbox import cli as sandbox_cli
from provisioning.sandbox.credentials import connection_info
from provisioning.seats import AmiTarget
from switchboard.config import Settings, load_settings


@dataclass(frozen=True)
class Sandbox:
    """AMI logins of both instances (as ``connection_info``) plus the settings they came from."""

    pbx: AmiTarget
    world: AmiTarget
    settings: Settings


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    settings = load_settings()
    sandbox_cli.up(settings)
    info = connection_info(settings)
    return Sandbox(info.pbx, info.world, settings)
