"""IVR use per menu and option over a period, from the steps the PBXes reported (``ivr_events``).

Per menu: the callers who entered it (its **visits**; a caller sent back into it by a sub-menu
counts again), then one row per option as it was when chosen (a key and what it led to: the route
or sub-menu is named as it is now, the action as it was), the callers whose retries ran out (and
what the fallback did), the unknown keys, the tries without a key in time and the hang-ups inside
the menu. **Share**: of the menu's visits; unknown keys and timeouts are counted per try, so with
retries they may pass 100 %. Counted in SQL on both databases (one GROUP BY on the menu's index).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.inbound.ivr import MenuStep
from store.enums import IvrAction
from store.models import InboundRoute, IvrEvent, IvrMenu
from web.i18n import say
from web.messages import N_, Message
from web.reports.services import Period

#: The order of a menu's rows after its keys, and how each is called.
AFTER_KEYS = ((MenuStep.NO_CHOICE, N_("No choice after the retries")), (MenuStep.INVALID, N_("Unknown key")),
              (MenuStep.TIMEOUT, N_("No key in time")), (MenuStep.HANGUP, N_("Hung up in the menu")))


@dataclass(frozen=True)
class OptionUse:
    option: str  # the row's label in English (``label`` for the reader's language: ``say``)
    times: int
    share: float | None  # of the menu's visits
    label: Message = field(default_factory=lambda: Message(""), compare=False)

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


def _what(go: str, target: int, routes: dict[int, str], menus: dict[int, str]) -> Message:
    """What a key led to, in words."""
    match go:
        case IvrAction.ROUTE:
            name = routes.get(target)
            return (Message(N_("to %(route)s"), {"route": name}) if name is not None
                    else Message(N_("to route %(id)s (deleted)"), {"id": str(target)}))
        case IvrAction.MENU:
            name = menus.get(target)
            return (Message(N_("sub-menu %(menu)s"), {"menu": name}) if name is not None
                    else Message(N_("sub-menu %(id)s (deleted)"), {"id": str(target)}))
        case IvrAction.CALLBACK:
            return Message(N_("a callback request"))
        case _:
            return Message(N_("goodbye"))


def _tally(counted: list[tuple[Message, int]]) -> dict[str, tuple[Message, int]]:
    """The counts of equal labels added up, by the label's English words, in first-seen order."""
    tally: dict[str, tuple[Message, int]] = {}
    for label, n in counted:
        tally[str(label)] = (label, tally.get(str(label), (label, 0))[1] + n)
    return tally


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
        counted: list[tuple[Message, int]] = []
        for _, key, go, target, n in sorted(r for r in rows if r[0] == MenuStep.KEY):
            what = _what(go, target, routes, menus)
            counted.append((Message(N_("Key %(key)s: %(what)s"), {"key": key, "what": what}), n))
        for kind, words in AFTER_KEYS:
            for _, _, go, target, n in sorted(r for r in rows if r[0] == kind):
                label = (Message(N_("%(what)s: %(then)s"),
                                 {"what": Message(words), "then": _what(go, target, routes, menus)})
                         if kind is MenuStep.NO_CHOICE else Message(words))
                counted.append((label, n))
        options = [OptionUse(english, n, n / visits if visits else None, label)
                   for english, (label, n) in _tally(counted).items()]
        used.append(MenuUse(menu_id, menus.get(menu_id, str(menu_id)), visits, options))
    return sorted(used, key=lambda u: u.name)


def in_language(menus: list[MenuUse]) -> list[MenuUse]:
    """``menus`` with each option's label in the reader's language (during a request), for the page's
    tables and charts."""
    return [replace(u, options=[replace(o, option=say(o.label)) for o in u.options]) for u in menus]
