"""What an IVR menu rendered into the PBX's dialplan (``dialplans.ivr``) tells the core.

The menus run on the PBX; three of their milestones come here as ``DialplanSignal``:

* ``ivr_route``: a key sent the caller on to a route's DID. :func:`arrival` makes it the
  ``CallArrived`` the route's queue takes (``InboundQueue``), as if the caller had dialed that DID:
  the queue moves them from the IVR's ringback to ``sb-queue-wait``;
* ``ivr_callback``: "press N to be called back": :class:`IvrCallbackAsked`, a missed caller to follow
  up, as a queue's callback request is;
* ``ivr_busy``: a caller over the IVR's channel limit heard the busy message: :class:`IvrBusy`,
  counted on the IVR page.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.events import CallArrived, DialplanSignal, Event
from orchestrator.step import Fact

SIGNAL_ROUTE = "ivr_route"
SIGNAL_CALLBACK = "ivr_callback"
SIGNAL_BUSY = "ivr_busy"
SIGNALS = (SIGNAL_ROUTE, SIGNAL_CALLBACK, SIGNAL_BUSY)


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


def _fields(event: DialplanSignal) -> dict[str, str]:
    return {k.lower(): v for k, v in event.fields}


def _menu(fields: dict[str, str]) -> int:
    menu = fields.get("menu", "")
    return int(menu) if menu.isascii() and menu.isdigit() and len(menu) < 10 else 0


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
