"""Each node's IVR menus as its dialplan renders them (``dialplans.ivr``; their prompts on disk:
``provisioning.prompts``).

One place for the web's provisioning (Asterisk: files and reload; FreeSWITCH: prompts, and the menus
in its mod_xml_curl answer) and the runner's install of an Asterisk dialplan at its start, so neither
renders the routes without the menus the other one put there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialplans import ivr as plan
from provisioning.prompts import ASTERISK_PROMPTS
from store.enums import InboundTarget
from store.models import InboundRoute, IvrMenu, Trunk, trunk_nodes


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


def asterisk_plan(session: Session, node_id: int) -> plan.IvrPlan:
    """The node's menus, their prompts found in the config dir Asterisk reads (``prompts.write_prompts``
    there)."""
    return node_plan(session, node_id, "${ASTETCDIR}/" + ASTERISK_PROMPTS)
