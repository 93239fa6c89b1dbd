"""IVR menu operations, independent of Flask: the form checked into a row, the prompt converted
(each node's menus as its dialplan renders them: ``provisioning.ivr``).

Nothing the admin types reaches a PBX: a menu is rendered by its id, its keys are single digits,
its targets ids checked against the database, and its prompt is whatever ``sox`` made of the
upload (``web.prompts``: 8 kHz mono 16-bit WAV, which Asterisk's ``Background`` and FreeSWITCH's
``play_and_get_digits`` both play). Every check gives the user a sentence, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialplans import ivr as plan
from store.enums import InboundTarget, IvrAction
from store.models import InboundRoute, IvrMenu, PbxNode, Trunk, trunk_nodes
from web import prompts


class IvrError(ValueError):
    """The menu cannot be saved (or deleted); the message is for the user."""


@dataclass(frozen=True)
class MenuInput:
    """The form as typed: ``keys`` maps each key to its choice ("" unused, "route:<id>",
    "menu:<id>", "callback", "hangup"); ``prompt`` the uploaded file's bytes (None: none uploaded)."""

    name: str
    keys: Mapping[str, str]
    timeout_s: str
    retries: str
    on_no_choice: str
    channel_limit: str
    prompt: bytes | None = None
    prompt_name: str = ""


def _whole(text: str, what: str, low: int, high: int) -> int:
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4 or not low <= int(raw) <= high:
        raise IvrError(f"{what}: a whole number from {low} to {high}")
    return int(raw)


def _option(session: Session, key: str, choice: str, own_id: int | None) -> dict[str, object]:
    """One key's choice, checked: its action and, for a route or a sub-menu, the id."""
    if len(key) != 1 or key not in plan.KEYS:
        raise IvrError(f"keys are single digits 0-9, not {key!r}")
    go, _, to = choice.partition(":")
    try:
        action = IvrAction(go)
    except ValueError:
        raise IvrError(f"key {key}: unknown choice {choice!r}") from None
    if action not in (IvrAction.ROUTE, IvrAction.MENU):
        return {"go": action.value}
    target = int(to) if to.isascii() and to.isdigit() and len(to) < 10 else 0
    if action is IvrAction.ROUTE:
        route = session.get(InboundRoute, target)
        if route is None or route.target is InboundTarget.IVR:
            raise IvrError(f"key {key}: pick an inbound route answered by a queue or a seat")
    elif target != own_id and session.get(IvrMenu, target) is None:
        raise IvrError(f"key {key}: unknown sub-menu")
    return {"go": action.value, "to": target}


def _options(session: Session, keys: Mapping[str, str], own_id: int | None) -> dict[str, dict[str, object]]:
    options = {key: _option(session, key, choice, own_id) for key, choice in sorted(keys.items()) if choice}
    if not options:
        raise IvrError("give the menu at least one key (a queue, a seat, a sub-menu, a callback or hang-up)")
    return options


def _dead_ends(session: Session, menu_id: int, options: dict[str, dict[str, object]]) -> list[str]:
    """Names of the menus reachable from ``menu_id`` whose keys only ever lead to other menus (a caller
    there can never reach a queue, a seat, a callback or a hang-up by a key)."""
    graph: dict[int, list[dict[str, object]]] = {m.id: list((m.options or {}).values())
                                                 for m in session.scalars(select(IvrMenu))}
    graph[menu_id] = list(options.values())
    exits = {i for i, opts in graph.items() if any(o["go"] != IvrAction.MENU.value for o in opts)}
    changed = True
    while changed:
        grown = {i for i, opts in graph.items() if any(o["go"] == IvrAction.MENU.value and o["to"] in exits
                                                      for o in opts)}
        changed = not grown <= exits
        exits |= grown
    seen, todo = set(), [menu_id]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [int(str(o["to"])) for o in graph.get(current, []) if o["go"] == IvrAction.MENU.value]
    names = {m.id: m.name for m in session.scalars(select(IvrMenu))}
    return sorted(names.get(i, "this menu") for i in seen - exits)


def save(session: Session, data: MenuInput, row: IvrMenu | None = None) -> IvrMenu:
    """Create or update a menu (flushed, not committed)."""
    name = data.name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise IvrError("name: 1 to 64 printable characters")
    others = select(IvrMenu).where(IvrMenu.id != row.id) if row else select(IvrMenu)
    if session.scalar(others.where(IvrMenu.name == name)) is not None:
        raise IvrError(f"a menu named {name!r} exists already")
    timeout = _whole(data.timeout_s, "time to press a key (seconds)", 1, 60)
    retries = _whole(data.retries, "retries", 0, 9)
    limit = _whole(data.channel_limit, "channel limit", 1, 999)
    try:
        prompt = prompts.convert(data.prompt) if data.prompt is not None else None
    except prompts.PromptError as exc:
        raise IvrError(str(exc)) from None
    if prompt is None and (row is None or row.prompt is None):
        raise IvrError("upload the menu's prompt (a WAV file)")
    options = _options(session, data.keys, row.id if row else None)
    fallback = data.on_no_choice.strip()
    if fallback and fallback not in options:
        raise IvrError(f"with no key pressed: key {fallback} does nothing in this menu")
    if row is None:
        row = IvrMenu()
        session.add(row)
    row.name, row.options, row.on_no_choice = name, options, fallback
    row.timeout_s, row.retries, row.channel_limit = timeout, retries, limit
    if prompt is not None:
        row.prompt, row.prompt_name = prompt, Path(data.prompt_name).name[:128]
    session.flush()  # a new menu's id, for the check below
    if dead := _dead_ends(session, row.id, options):
        raise IvrError(f"a caller in {', '.join(dead)} could only go round the menus: give one of them a "
                       "key to a queue, a seat, a callback or hang-up")
    session.flush()
    return row


def delete(session: Session, row: IvrMenu) -> None:
    """Delete a menu no route and no other menu leads to."""
    if (route := session.scalar(select(InboundRoute.name).where(InboundRoute.ivr_id == row.id))) is not None:
        raise IvrError(f"route {route} answers with this menu: point it elsewhere first")
    for other in session.scalars(select(IvrMenu).where(IvrMenu.id != row.id)):
        if any(o["go"] == IvrAction.MENU.value and o["to"] == row.id for o in (other.options or {}).values()):
            raise IvrError(f"menu {other.name} has it as a sub-menu: change that key first")
    session.delete(row)


def nodes_with_menus(session: Session) -> list[PbxNode]:
    """The nodes that render IVR menus: those a trunk of a route answered by a menu is on."""
    query = (select(PbxNode).join(trunk_nodes, trunk_nodes.c.node_id == PbxNode.id)
             .join(Trunk, Trunk.id == trunk_nodes.c.trunk_id)
             .join(InboundRoute, InboundRoute.trunk_id == Trunk.id)
             .where(InboundRoute.target == InboundTarget.IVR).distinct())
    return list(session.scalars(query))
