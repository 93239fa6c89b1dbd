"""What an IVR menu rendered into the PBX's dialplan (``dialplans.ivr``) tells the core.

The menus run on the PBX; what happens in them comes here as ``DialplanSignal``:

* ``ivr_route``: a key sent the caller on to a route's DID. :func:`arrival` makes it the
  ``CallArrived`` the route's queue takes (``InboundQueue``), as if the caller had dialed that DID:
  the queue moves them from the IVR's ringback to ``sb-queue-wait``;
* ``ivr_callback``: "press N to be called back": :class:`IvrCallbackAsked`, a missed caller to follow
  up, as a queue's callback request is;
* ``ivr_busy``: a caller over the IVR's channel limit heard the busy message: :class:`IvrBusy`,
  counted on the IVR page;
* ``ivr_menu``: every step of a caller's visit to a menu (:class:`MenuStep`: entered, an offered key
  and what it led to, an unknown key, no key in time, no choice after the retries), kept as
  :class:`IvrMenuEvent` for the use of each option (Reports, the IVR page). A hang-up inside a
  menu is no signal: :class:`MenuVisits` sees the caller's ``HungUp`` between their entry and their
  way out, so both PBXes count it the same way without a hang-up handler in either dialplan.

The ``ivr_menu`` signal's fields are defined once here (:data:`MENU_FIELDS`); ``dialplans.ivr``
renders them into each PBX's dialplan (Asterisk ``UserEvent``, FreeSWITCH ``CUSTOM`` event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from orchestrator.events import CallArrived, DialplanSignal, Event, HungUp, PbxConnected
from orchestrator.step import Fact

SIGNAL_ROUTE = "ivr_route"
SIGNAL_CALLBACK = "ivr_callback"
SIGNAL_BUSY = "ivr_busy"
SIGNAL_MENU = "ivr_menu"
SIGNALS = (SIGNAL_ROUTE, SIGNAL_CALLBACK, SIGNAL_BUSY, SIGNAL_MENU)
#: The ``ivr_menu`` signal's fields, in the order the dialplans send them: the menu's id, the
#: :class:`MenuStep`, the key (pressed, or the fallback's), what the key led to (``dialplans.ivr``'s
#: route, menu, callback or hangup) and the route's or sub-menu's id.
MENU_FIELDS = ("Menu", "Step", "Key", "Go", "To")
#: What a key may be as a caller's phone sends it (DTMF); the menus offer digits only.
DTMF = "0123456789*#ABCD"
GOES = ("route", "menu", "callback", "hangup")


class MenuStep(StrEnum):
    """One step of a caller's visit to a menu."""

    ENTER = "enter"  # the caller reached the menu: its prompt begins (once per visit, not per retry)
    KEY = "key"  # an offered key; ``go``/``to`` say what it led to
    INVALID = "invalid"  # a key the menu does not offer (the invalid sound, then the prompt again)
    TIMEOUT = "timeout"  # no key within the time to press
    NO_CHOICE = "none"  # the retries spent: what the fallback key does (``key``), or goodbye
    HANGUP = "hangup"  # the caller hung up inside the menu (the core's, from their HungUp)


#: The steps that end a visit: the caller leaves the menu (to a route, a sub-menu, a callback, goodbye).
LEAVING = (MenuStep.KEY, MenuStep.NO_CHOICE)


@dataclass(frozen=True, slots=True)
class IvrBusy(Fact):
    """A caller to ``called`` found every channel of menu ``menu_id``'s IVR taken."""

    menu_id: int
    caller_number: str
    called: str


@dataclass(frozen=True, slots=True)
class IvrCallbackAsked(Fact):
    """A caller to ``called`` pressed the menu's "call me back" key (then the call ended)."""

    menu_id: int
    call_id: str
    caller_number: str
    called: str


@dataclass(frozen=True, slots=True)
class IvrMenuEvent(Fact):
    """A step of ``call_id``'s visit to menu ``menu_id`` (see :class:`MenuStep`)."""

    menu_id: int
    call_id: str
    step: MenuStep
    key: str = ""
    go: str = ""
    to: int = 0


def _fields(event: DialplanSignal) -> dict[str, str]:
    return {k.lower(): v for k, v in event.fields}


def _menu(fields: dict[str, str]) -> int:
    menu = fields.get("menu", "")
    return _id(menu)


def _id(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


def menu_event(event: DialplanSignal) -> IvrMenuEvent | None:
    """The ``ivr_menu`` signal as a fact; None when it names no menu or no step the dialplans send
    (whatever else a field holds is dropped, not stored: a key is one DTMF character)."""
    f = _fields(event)
    step = f.get("step", "")
    if step not in set(MenuStep) or step == MenuStep.HANGUP or not (menu := _menu(f)):
        return None
    key = f.get("key", "")
    go = f.get("go", "")
    return IvrMenuEvent(event.at, menu, event.call_id or event.channel_id, MenuStep(step),
                        key if len(key) == 1 and key in DTMF else "", go if go in GOES else "",
                        _id(f.get("to", "")))


def arrival(event: DialplanSignal) -> CallArrived:
    """The ``ivr_route`` signal as the arrival of its caller at the route's DID."""
    f = _fields(event)
    return CallArrived(event.at, event.channel_id, event.attempt_id,
                       call_id=event.call_id or event.channel_id, caller_number=f.get("caller", "")[:32],
                       dialed_number=f.get("called", "")[:32])


def facts(event: Event) -> tuple[Fact, ...] | None:
    """The facts of a callback request or a busy caller; None for any other event (not the IVR's)."""
    if not isinstance(event, DialplanSignal) or event.name not in (SIGNAL_CALLBACK, SIGNAL_BUSY):
        return None
    f = _fields(event)
    caller, called = f.get("caller", "")[:32], f.get("called", "")[:32]
    if event.name == SIGNAL_BUSY:
        return (IvrBusy(event.at, _menu(f), caller, called),)
    return (IvrCallbackAsked(event.at, _menu(f), event.call_id or event.channel_id, caller, called),)


@dataclass
class MenuVisits:
    """The callers inside a menu now (by channel), so that a hang-up there is counted.

    A visit opens at ``enter`` and closes at a step that leaves the menu (:data:`LEAVING`); the
    caller's ``HungUp`` in between is a :attr:`MenuStep.HANGUP` of that menu. Kept in the runner's
    memory: a runner that restarts mid-visit misses that caller's hang-up (their other steps are
    the PBX's and are counted), and a reconnect forgets the channels the PBX no longer has.
    """

    inside: dict[str, tuple[int, str]] = field(default_factory=dict)  # channel -> (menu, call id)

    def handle(self, event: Event) -> tuple[Fact, ...] | None:
        """The facts of an IVR signal (None: not one); for a ``HungUp`` the facts of a hang-up in a
        menu, or ``()`` (the event is everybody's: the caller may be in a queue, too)."""
        match event:
            case HungUp():
                inside = self.inside.pop(event.channel_id, None)
                if inside is None:
                    return ()
                return (IvrMenuEvent(event.at, inside[0], inside[1], MenuStep.HANGUP),)
            case PbxConnected():
                self.inside = {ch: v for ch, v in self.inside.items() if ch in event.live_channel_ids}
                return ()
            case DialplanSignal() if event.name == SIGNAL_MENU:
                fact = menu_event(event)
                if fact is None:
                    return ()
                if fact.step is MenuStep.ENTER:
                    self.inside[event.channel_id] = (fact.menu_id, fact.call_id)
                elif fact.step in LEAVING:
                    self.inside.pop(event.channel_id, None)
                return (fact,)
        return facts(event)
