"""Each node's IVR menus as its dialplan renders them (``dialplans.ivr``), and their prompts on disk.

One place for the web's provisioning (Asterisk: files and reload; FreeSWITCH: prompts, and the menus
in its mod_xml_curl answer) and the runner's install of an Asterisk dialplan at its start, so neither
renders the routes without the menus the other one put there.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialplans import ivr as plan
from store.enums import InboundTarget
from store.models import InboundRoute, IvrMenu, Trunk, trunk_nodes

#: Where the prompts go: beside an Asterisk node's config (its dialplan names them through
#: ``${ASTETCDIR}``, so the path holds inside a chroot too), beside a FreeSWITCH node's gateways.
ASTERISK_PROMPTS = "sb-ivr"
FREESWITCH_PROMPTS = "switchboard-ivr"


def node_plan(session: Session, node_id: int, prompts_dir: str) -> plan.IvrPlan:
    """Every menu, and the DIDs the node's trunks deliver to a route answered by one."""
    dids = {r.id: r.did.removeprefix("+") for r in session.scalars(select(InboundRoute))}
    menus = []
    for m in session.scalars(select(IvrMenu).order_by(IvrMenu.id)):
        targets = {key: int(str(o.get("to", 0))) for key, o in (m.options or {}).items()}
        options = tuple(plan.IvrOption(key, str(o["go"]), targets[key],
                                       dids.get(targets[key], "") if o["go"] == plan.ROUTE else "")
                        for key, o in sorted((m.options or {}).items()))
        menus.append(plan.IvrConf(m.id, plan.prompt_name(m.id), options, m.timeout_s, m.retries,
                                  m.on_no_choice, m.channel_limit))
    limits = {m.menu_id: m.channel_limit for m in menus}
    entries = session.execute(
        select(InboundRoute.did, InboundRoute.ivr_id).join(Trunk, Trunk.id == InboundRoute.trunk_id)
        .join(trunk_nodes, trunk_nodes.c.trunk_id == Trunk.id)
        .where(trunk_nodes.c.node_id == node_id, InboundRoute.target == InboundTarget.IVR,
               InboundRoute.enabled.is_(True), Trunk.enabled.is_(True), InboundRoute.ivr_id.is_not(None))
        .order_by(InboundRoute.did))
    return plan.IvrPlan(tuple(menus), tuple(plan.IvrEntry(did.removeprefix("+"), menu, limits[menu])
                                            for did, menu in entries if menu in limits), prompts_dir)


def write_prompts(session: Session, directory: Path) -> list[str]:
    """Each menu's prompt as ``menu-<id>.wav`` in ``directory`` (what changed); stale ones removed."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {f"{plan.prompt_name(i)}.wav": data for i, data in session.execute(
        select(IvrMenu.id, IvrMenu.prompt).where(IvrMenu.prompt.is_not(None)))}
    changed = []
    for name, data in files.items():
        target = directory / name
        if not target.exists() or target.read_bytes() != data:
            partial = directory / f".{name}"
            partial.write_bytes(data)
            partial.chmod(0o644)
            partial.replace(target)
            changed.append(name)
    for stale in directory.glob("menu-*.wav"):
        if stale.name not in files:
            stale.unlink()
    return changed


def asterisk_plan(session: Session, node_id: int) -> plan.IvrPlan:
    """The node's menus, their prompts found in the config dir Asterisk reads (``write_prompts`` there)."""
    return node_plan(session, node_id, "${ASTETCDIR}/" + ASTERISK_PROMPTS)
