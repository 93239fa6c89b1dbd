"""The runner's dialplan install on the real pbx: render, write, reload over AMI, and Asterisk agrees."""

from __future__ import annotations

import asyncio

import pytest

from ami.connection import AmiClient
from dialplans.render import DialplanParams, render_asterisk
from lab.sandbox.layout import paths
from runner import install

pytestmark = pytest.mark.sandbox


async def cli(client: AmiClient, command: str) -> str:
    reply = await client.query({"Action": "Command", "Command": command})
    output = reply.get("Output", "")
    return "\n".join(output) if isinstance(output, list) else str(output)


def test_install_renders_and_reloads_the_routes(sandbox):
    config_dir = paths(sandbox.settings).pbx_config_dir
    pbx = sandbox.pbx

    async def main() -> None:
        async with AmiClient(pbx.host, pbx.port, pbx.username, pbx.secret, node="pbx") as client:
            await install.install(client, config_dir)  # the shipped routes and tuning, whatever was there
            try:
                changed = await install.install(client, config_dir, DialplanParams(safety_wait_s=11))
                assert changed == ["extensions-switchboard.conf"]  # amd.conf did not change
                shown = await cli(client, "dialplan show sb-outbound")
                assert "AMD()" in shown
                assert "Wait(11)" in shown
            finally:
                await install.install(client, config_dir)  # back to the defaults
            shown = await cli(client, "dialplan show sb-outbound")
            assert "Wait(10)" in shown
            assert "Wait(11)" not in shown
            for route in ("sb-abandon", "sb-leave-message", "sb-agent-hold"):
                assert f"'{route}'" in await cli(client, f"dialplan show {route}")
            assert (config_dir / "amd.conf").read_text() == render_asterisk()["amd.conf"]

    asyncio.run(main())
