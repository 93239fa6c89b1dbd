"""The inbound queue's sounds in the sandbox: hold music and the position prompts, on both PBXes.

``up`` renders them into a fresh sandbox (the pbx's ``musiconhold.conf`` and
its stand-in tune, the FreeSWITCH node's prompts, tune and routes); :func:`sync`
brings a sandbox started before they existed to the same state without a
restart, so the tests sharing a running sandbox can use them.
"""

from __future__ import annotations

from lab.sandbox import fsrender, process
from lab.sandbox.layout import nodes
from lab.sandbox.render import write_configs as write_asterisk_configs
from settings import Settings

#: What the pbx answers to ``moh show classes`` once the sandbox's class is loaded.
LOADED = "Class: default"


def sync(settings: Settings) -> None:
    pbx = nodes(settings)["pbx"]
    changed = write_asterisk_configs(pbx, settings)
    if "musiconhold.conf" in changed or LOADED not in process.cli(pbx, "moh show classes"):
        process.cli(pbx, "module reload res_musiconhold.so")
    fsrender.sync_routes(settings)
