"""A seat of the store as the core's :class:`~orchestrator.commands.Endpoint`: where its leg is dialed.

The one place a remote seat turns into a trunk dial (and says whether its phone must press 1 to
accept); the desk login and the start-up re-login both go through it, so the core sees the same
phone whichever way the agent came in.
"""

from __future__ import annotations

from orchestrator.commands import Endpoint, EndpointKind
from store import models as m


def seat_confirms(seat: m.Seat) -> bool:
    """Whether the seat's answered leg must press 1 before it counts as up ("press 1 to accept").

    Remote seats only: a SIP seat's phone is the agent's own desk phone, no voicemail answers it.
    """
    return seat.remote and seat.confirm_answer


def seat_phone(seat: m.Seat) -> Endpoint:
    """The seat's own SIP endpoint, or a remote seat's number through its trunk.

    Raises ``orchestrator.safe.UnsafeValue`` for a row that cannot be dialed (edited outside the
    admin's form): refused rather than sent to the PBX.
    """
    if seat.remote:
        return Endpoint(EndpointKind.TRUNK, seat.trunk.name if seat.trunk else "", seat.remote_number)
    return Endpoint(EndpointKind.SEAT, seat.extension)
