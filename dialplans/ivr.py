"""IVR menus as both PBXes' dialplans render them (``dialplans/asterisk``, ``dialplans/freeswitch``).

Why rendered, not driven over AMI/ESL by the runner: the menu (prompt, keys, timeout, retries) and
its channel limit then hold without a runner (a runner restarting, a standby taking over, the
database out), each key is answered by the PBX at once, and the limit is counted atomically where
the channels are (Asterisk ``GROUP()``/``GROUP_COUNT()``, FreeSWITCH's ``limit`` with the hash
backend) instead of from events a runner may see late. The runner only hears what happened: a
caller sent on to a route's queue (``ivr_route``: the queue takes them as if they had dialed the
route's DID), a callback request (``ivr_callback``), a caller turned away busy (``ivr_busy``) and
every step of a caller's visit to a menu (``ivr_menu``: :func:`asterisk_signal` and
:func:`freeswitch_signal` render the one definition, ``orchestrator.inbound.ivr.MENU_FIELDS``, for
each PBX), counted per menu and key for the reports.

Every value that reaches a PBX is checked here (keys, ids, numbers, prompt file names); the
admin's names never reach a dialplan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.inbound.ivr import MENU_FIELDS, SIGNAL_MENU

#: The keys a menu offers: digits (``#`` ends FreeSWITCH's ``play_and_get_digits``; ``*`` and ``#``
#: mean something else to most callers' phones and to some carriers' IVR probes).
KEYS = "0123456789"
_NUMBER = re.compile(r"^[0-9]{3,20}$")
#: What a key does: the values of ``store.enums.IvrAction`` (the store is not this layer's to import).
ROUTE, MENU, CALLBACK, HANGUP = "route", "menu", "callback", "hangup"


@dataclass(frozen=True)
class IvrOption:
    """One key of a menu: ``to`` is the route's or the sub-menu's id; ``number`` a route's DID."""

    key: str
    go: str
    to: int = 0
    number: str = ""

    def __post_init__(self) -> None:
        if len(self.key) != 1 or self.key not in KEYS:
            raise ValueError(f"invalid IVR key {self.key!r}")
        if self.go not in (ROUTE, MENU, CALLBACK, HANGUP):
            raise ValueError(f"invalid IVR action {self.go!r}")
        if self.go == ROUTE and not _NUMBER.match(self.number):
            raise ValueError(f"invalid route number {self.number!r}")
        if not isinstance(self.to, int) or self.to < 0:
            raise ValueError(f"invalid IVR target {self.to!r}")


@dataclass(frozen=True)
class IvrConf:
    """One menu. ``prompt``: its file name (no extension) in the node's prompt directory."""

    menu_id: int
    prompt: str
    options: tuple[IvrOption, ...] = ()
    timeout_s: int = 5
    retries: int = 2
    on_no_choice: str = ""  # a key of ``options``, or "" (goodbye)
    channel_limit: int = 8

    def __post_init__(self) -> None:
        if not self.options:
            raise ValueError("a menu offers at least one key")
        if not re.fullmatch(r"[a-z0-9-]{1,40}", self.prompt):
            raise ValueError(f"invalid prompt name {self.prompt!r}")
        if not (1 <= self.timeout_s <= 60 and 0 <= self.retries <= 9 and 1 <= self.channel_limit <= 999):
            raise ValueError("timeout 1-60 s, retries 0-9, channel limit 1-999")
        if self.on_no_choice and self.on_no_choice not in {o.key for o in self.options}:
            raise ValueError(f"no option for key {self.on_no_choice!r}")

    @property
    def keys(self) -> str:
        """The keys, for FreeSWITCH's regular expression (``^[<keys>]$``)."""
        return "".join(o.key for o in self.options)

    @property
    def fallback(self) -> IvrOption | None:
        return next((o for o in self.options if o.key == self.on_no_choice), None)


@dataclass(frozen=True)
class IvrEntry:
    """A DID a route answers with a menu (that menu's channel limit counts its callers)."""

    number: str
    menu_id: int
    channel_limit: int = 8

    def __post_init__(self) -> None:
        if not _NUMBER.match(self.number) or not 1 <= self.channel_limit <= 999:
            raise ValueError(f"invalid IVR number {self.number!r} or channel limit")


@dataclass(frozen=True)
class IvrPlan:
    """What one node renders: every menu, the DIDs entering one, and where the prompts are as the PBX
    sees them (Asterisk: ``${ASTETCDIR}/sb-ivr``; FreeSWITCH: an absolute directory)."""

    menus: tuple[IvrConf, ...] = ()
    entries: tuple[IvrEntry, ...] = ()
    prompts_dir: str = ""

    def __post_init__(self) -> None:
        if self.prompts_dir and not re.fullmatch(r"[A-Za-z0-9_./${}-]{1,200}", self.prompts_dir):
            raise ValueError(f"invalid prompts directory {self.prompts_dir!r}")
        known = {m.menu_id for m in self.menus}
        for entry in self.entries:
            if entry.menu_id not in known:
                raise ValueError(f"no menu {entry.menu_id}")


def prompt_name(menu_id: int) -> str:
    """The file name (no extension) of a menu's prompt on every node."""
    return f"menu-{menu_id}"


def _menu_fields(menu_id: int, step: str, key: str, go: str, to: int) -> list[tuple[str, str]]:
    """The ``ivr_menu`` signal's fields (empty ones left out); ``key`` may be a dialplan expression
    (the unknown key: ``${INVALID_EXTEN}``, ``${sb_ivr_key_invalid}``): the core checks what it holds."""
    values = (str(int(menu_id)), step, key, go, str(int(to)) if to else "")
    return [(name, value) for name, value in zip(MENU_FIELDS, values, strict=True) if value]


def asterisk_signal(menu_id: int, step: str, key: str = "", go: str = "", to: int = 0) -> str:
    """The ``ivr_menu`` signal as an Asterisk ``UserEvent`` (``SwitchboardIvrMenu``, which the AMI
    adapter turns back into ``ivr_menu``)."""
    name = "Switchboard" + "".join(word.capitalize() for word in SIGNAL_MENU.split("_"))
    fields = ",".join(f"{k}: {v}" for k, v in _menu_fields(menu_id, step, key, go, to))
    return f"UserEvent({name},{fields})"


def freeswitch_signal(menu_id: int, step: str, key: str = "", go: str = "", to: int = 0) -> str:
    """The ``ivr_menu`` signal as the data of FreeSWITCH's ``event`` application (a ``CUSTOM`` event,
    subclass ``switchboard::ivr_menu``, its fields as ``SB-`` headers)."""
    fields = ",".join(f"SB-{k}={v}" for k, v in _menu_fields(menu_id, step, key, go, to))
    return f"Event-Subclass=switchboard::{SIGNAL_MENU},Event-Name=CUSTOM,{fields}"
