"""Render the Asterisk dialplan and AMD tuning into a node's config dir, then reload it over AMI.

Commit, then reload (Wazo's order): the files are written atomically first, so
a failed reload leaves them right and the next install catches up; modules
are reloaded only when their file changed (or when ``force``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ami.connection import AmiClient
from dialplans.render import DialplanParams, render_asterisk, write_atomically
from orchestrator.commands import Reload

log = logging.getLogger(__name__)

#: Which module reads which rendered file.
MODULES = {"extensions-switchboard.conf": "pbx_config.so", "amd.conf": "app_amd.so"}


def write(config_dir: Path, params: DialplanParams | None = None) -> list[str]:
    """Write the rendered files into ``config_dir``; return the names that changed."""
    return write_atomically(config_dir, render_asterisk(params))


async def reload(client: AmiClient, changed: list[str]) -> None:
    for name in changed:
        await client.execute(Reload(MODULES[name]))
        log.info("reloaded module=%s file=%s node=%s", MODULES[name], name, client.node)


async def install(client: AmiClient, config_dir: Path, params: DialplanParams | None = None, *,
                  force: bool = False) -> list[str]:
    """Write, then reload what changed (everything with ``force``)."""
    changed = write(config_dir, params)
    await reload(client, list(MODULES) if force else changed)
    return changed
