"""Fax in the sandbox: ``res_fax_spandsp`` in both Asterisk instances, the world's fax machine, the fax DIDs.

``up`` renders all of it into a fresh sandbox; :func:`sync` brings a sandbox
that was started before (its modules.conf still skipped ``res_fax*``, its
dialplans had no fax routes) to the same state without a restart, so tests
that share a running sandbox can use fax. FreeSWITCH's ``mod_spandsp`` was
always loaded; its node only needs the fax routes (``reloadxml``).
"""

from __future__ import annotations

from lab.sandbox import fsbuild, fsnode, fsrender, process
from lab.sandbox.layout import nodes, paths
from lab.sandbox.render import dialplan_params, fax_settings
from lab.sandbox.render import write_configs as write_asterisk_configs
from provisioning.seats import PJSIP_RELOAD
from runner import install
from settings import Settings
from store.enums import PbxKind

#: Loaded in this order: res_fax_spandsp registers itself with res_fax.
MODULES = ("res_fax.so", "res_fax_spandsp.so")


def sync(settings: Settings) -> None:
    """Load the fax modules where missing and (re)write the world's and the pbx's fax dialplan and trunks."""
    instances = nodes(settings)
    for name in ("world", "pbx"):
        node = instances[name]
        changed = write_asterisk_configs(node, settings)
        if name == "pbx":
            changed += install.write(paths(settings).pbx_config_dir, dialplan_params(settings))
        for module in MODULES:
            if "0 modules loaded" in process.cli(node, f"module show like {module}"):
                process.cli(node, f"module load {module}")
        if "pjsip.conf" in changed:  # the trunks' T.38 settings
            process.cli(node, PJSIP_RELOAD)
        if changed:
            process.cli(node, "dialplan reload")
    fsrender.sync_routes(settings)


def runner_env(settings: Settings, kind: PbxKind) -> dict[str, str]:
    """The fax settings a runner of the sandbox's node of ``kind`` needs, as ``SWITCHBOARD_*`` variables:
    where it writes the TIFFs it sends and its PBX reads them (the pbx's root or the FreeSWITCH node's
    storage), and on the pbx its fax number, which its runner's dialplan install keeps. Without them a
    runner writes to the default ``/var/spool/asterisk/fax``, which the sandbox's PBXes never read."""
    if kind is PbxKind.FREESWITCH:
        fs = fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))
        return {"SWITCHBOARD_FAX_DIR": str(fsrender.fax_dir(fs))}
    return fax_settings(settings)
