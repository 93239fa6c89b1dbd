"""IVR use per menu and option over a period, from the steps the PBXes reported (``ivr_events``).

Per menu: the callers who entered it (its **visits**; a caller sent back into it by a sub-menu
counts again), then one row per option as it was when chosen (a key and what it led to: the route
or sub-menu is named as it is now, the action as it was), the callers whose retries ran out (and
what the fallback did), the unknown keys, the tries without a key in time and the hang-ups inside
the menu. **Share**: of the menu's visits; unknown keys and timeouts are counted per try, so with
retries they may pass 100 %. Counted in SQL on both databases (one GROUP BY on the menu's index).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.inbound.ivr import MenuStep
from store.enums import IvrAction
from store.models import InboundRoute, IvrEvent, IvrMenu
from web.reports.services import Period

#: The order of a menu's rows after its keys, and how each is called.
AFTER_KEYS = ((MenuStep.NO_CHOICE, "No choice after the retries"), (MenuStep.INVALID, "Unknown key"),
              (MenuStep.TIMEOUT, "No key in time"), (MenuStep.HANGUP, "Hung up in the menu"))


@dataclass(frozen=True)
class OptionUse:
    option: str
    times: int
    share: float | None  # of the menu's visits

    @property
    def share_percent(self) -> float | None:
        return None if self.share is None else round(self.share * 100, 1)


@dataclass(frozen=True)
class MenuUse:
    menu_id: int
    name: str
    visits: int
    options: list[OptionUse] = field(default_factory=list)

    def times(self, option: str) -> int:
        """How often ``option`` (a row's label) was counted; 0 if never."""
        return next((o.times for o in self.options if o.option == option), 0)


def _what(go: str, target: int, routes: dict[int, str], menus: dict[int, str]) -> str:
    """What a key led to, in words."""
    match go:
        case IvrAction.ROUTE:
            return f"to {routes.get(target, f'route {target} (deleted)')}"
        case IvrAction.MENU:
            return f"sub-menu {menus.get(target, f'{target} (deleted)')}"
        case IvrAction.CALLBACK:
            return "a callback request"
        case _:
            return "goodbye"


def menu_use(session: Session, period: Period) -> list[MenuUse]:
    """Every menu with callers in the period, by name."""
    counts = session.execute(
        select(IvrEvent.menu_id, IvrEvent.step, IvrEvent.key, IvrEvent.go, IvrEvent.target, func.count())
        .where(IvrEvent.at >= period.start, IvrEvent.at < period.end)
        .group_by(IvrEvent.menu_id, IvrEvent.step, IvrEvent.key, IvrEvent.go, IvrEvent.target)).all()
    if not counts:
        return []
    menus = dict(session.execute(select(IvrMenu.id, IvrMenu.name)).tuples().all())
    routes = dict(session.execute(select(InboundRoute.id, InboundRoute.name)).tuples().all())
    by_menu: dict[int, list[tuple[str, str, str, int, int]]] = {}
    for menu_id, step, key, go, target, n in counts:
        by_menu.setdefault(menu_id, []).append((step, key, go, target, int(n)))
    used = []
    for menu_id, rows in by_menu.items():
        visits = sum(n for step, *_, n in rows if step == MenuStep.ENTER)
        tally: dict[str, int] = {}
        for _, key, go, target, n in sorted(r for r in rows if r[0] == MenuStep.KEY):
            label = f"Key {key}: {_what(go, target, routes, menus)}"
            tally[label] = tally.get(label, 0) + n
        for kind, words in AFTER_KEYS:
            for _, _, go, target, n in sorted(r for r in rows if r[0] == kind):
                what = _what(go, target, routes, menus)
                label = f"{words}: {what}" if kind is MenuStep.NO_CHOICE else words
                tally[label] = tally.get(label, 0) + n
        options = [OptionUse(label, n, n / visits if visits else None) for label, n in tally.items()]
        used.append(MenuUse(menu_id, menus.get(menu_id, str(menu_id)), visits, options))
    return sorted(used, key=lambda u: u.name)
