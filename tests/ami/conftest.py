"""Real Asterisk for the AMI tests.

``pbx``: the scratch PBX + world pair (tests/ami/scratch_asterisk.py), whose
dialplan the recordings and most live tests rely on; started on first use if
it is not running, stopped at the end of the session only if this session
started it. ``any_pbx``: the same tests that need only "a call that answers"
and "a busy call" also run on the project sandbox (``sandbox`` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.ami import scratch_asterisk as scratch
from tests.integration.conftest import sandbox  # noqa: F401  (the project sandbox fixture, shared)


@dataclass(frozen=True)
class Pbx:
    host: str
    port: int
    username: str
    secret: str


@pytest.fixture(scope="session")
def pbx():
    started = not scratch.running()
    if started:
        scratch.up()
    yield Pbx(scratch.PBX.address, scratch.PBX.ami_port, scratch.AMI_USER, scratch.AMI_SECRET)
    if started:
        scratch.down()


@pytest.fixture(scope="session", params=["scratch", "sandbox"])
def any_pbx(request) -> Pbx:
    if request.param == "scratch":
        return request.getfixturevalue("pbx")
    box = request.getfixturevalue("sandbox")
    return Pbx(box.pbx.host, box.pbx.port, box.pbx.username, box.pbx.secret)
