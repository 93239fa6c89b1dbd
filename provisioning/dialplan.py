"""The dialplan parameters of this installation, from its settings: one place for the runner's install
(Asterisk), the web's "Provision and reload" (Asterisk) and mod_xml_curl (FreeSWITCH), so none of them
renders the routes without the fax numbers another one routed to the inbox."""

from __future__ import annotations

from dialplans.render import DialplanParams
from settings import Settings


def params(settings: Settings) -> DialplanParams:
    """The default tuning, with the fax lines, numbers and directory of the settings.

    Raises ``ValueError`` for a fax number that is not digits (it becomes a dialplan extension).
    """
    numbers = tuple(n.strip().lstrip("+") for n in settings.fax_numbers.split(",") if n.strip())
    bad = [n for n in numbers if not n.isdigit() or len(n) > 20]
    if bad:
        raise ValueError(f"setting fax_numbers: not a number as the trunk sends it: {', '.join(bad)}")
    return DialplanParams(fax_channels=settings.fax_channels, fax_numbers=numbers,
                          fax_dir=settings.fax_dir_in_pbx or str(settings.fax_dir))
