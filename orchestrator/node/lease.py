"""When a runner with a standby may act for its node: the lease decisions, on the holder's own clock.

A node with a standby (``PbxNode.standby``) has two runner processes; the one
holding the node's lease acts (dials, sends PBX commands, writes), the other
waits. The database hands the lease on only once it expired by the database's
clock (``expires_at``, set to *its* ``now()`` plus the TTL at every renewal).
The holder must have stopped acting by then, whatever its link to the database
does, so it counts on its own monotonic clock from the moment it *sent* a
renewal (the database's ``now()`` is later than that): it acts until
``sent + ttl - margin``, and stops the moment that passes -- even with the
database unreachable, when it cannot learn whether a standby took over.

A runner without a standby has no lease at all: nothing here can stop it, so
it rides out database outages of any length as before.
"""

from __future__ import annotations

from dataclasses import dataclass


class LeaseLost(RuntimeError):
    """This runner no longer holds its node's lease: it must stop acting at once."""


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """``ttl_s``: how long a renewal holds; the holder renews every ``renew_every_s`` and stops
    ``margin_s`` before its lease may have expired (for clock-rate drift and a send in progress)."""

    ttl_s: float = 3.0
    renew_every_s: float = 0.75
    margin_s: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.renew_every_s < self.ttl_s - self.margin_s or self.margin_s < 0:
            raise ValueError(f"lease terms need 0 < renew_every_s < ttl_s - margin_s: {self}")


class HeldLease:
    """The holder's view of its lease ``token``, granted by a request sent at monotonic ``sent_at``."""

    def __init__(self, token: int, sent_at: float, terms: LeaseTerms) -> None:
        self.token = token
        self.terms = terms
        self._until = sent_at + terms.ttl_s - terms.margin_s
        self._last_sent = sent_at

    @property
    def acting_until(self) -> float:
        return self._until

    def acting(self, now: float) -> bool:
        """May this runner still act (send a command, claim, write)?"""
        return now < self._until

    def check(self, now: float) -> None:
        """Raise :class:`LeaseLost` once the lease may have passed to the standby."""
        if not self.acting(now):
            raise LeaseLost(
                f"lease {self.token} not renewed in time (acting until {self._until:.2f}, now {now:.2f})"
            )

    def renew_due(self, now: float) -> bool:
        return now - self._last_sent >= self.terms.renew_every_s

    def sending(self, now: float) -> float:
        """A renewal is being sent now; returns the time to hand to :meth:`renewed`."""
        self._last_sent = now
        return now

    def renewed(self, sent_at: float, still_ours: bool) -> None:
        """The database answered a renewal sent at ``sent_at``: extended, or the token was taken over.

        No answer (the database out) is no call here: the deadline stays, and :meth:`check` ends it.
        """
        if not still_ours:
            self._until = float("-inf")
            raise LeaseLost(f"lease {self.token} was taken over by another runner")
        self._until = max(self._until, sent_at + self.terms.ttl_s - self.terms.margin_s)
