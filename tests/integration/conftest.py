"""The real Asterisk sandbox for integration tests (``switchboard pbx sandbox up``).

The ``sandbox`` fixture brings it up once per session with the same settings
as the CLI (``SWITCHBOARD_*`` environment / config file) and leaves it running
for the next tests and runs; ``scripts``/CI call ``down`` at the very end.
"""

from __future__ import annotations

import pytest

from lab.campaign import Sandbox, sandbox_up
from settings import load_settings


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return sandbox_up(load_settings())
