"""A real Asterisk for the AMI tests: the scratch PBX + world pair (tests/ami/scratch_asterisk.py).

Started on first use if it is not running, stopped at the end of the session
only if this session started it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.ami import scratch_asterisk as scratch


@dataclass(frozen=True)
class Pbx:
    host: str
    port: int
    username: str
    secret: str
    trunk: str = "world"


@pytest.fixture(scope="session")
def pbx():
    if not scratch.ROOT.joinpath("usr/sbin/asterisk").exists():
        pytest.skip(f"no Asterisk root at {scratch.ROOT}")
    started = not scratch.running()
    if started:
        scratch.up()
    yield Pbx(scratch.PBX.address, scratch.PBX.ami_port, scratch.AMI_USER, scratch.AMI_SECRET)
    if started:
        scratch.down()
