"""Whether, when and how fast a broadcast's messages may go, and what a reply means.

* Opt-out: a reply whose text is a stop word (``STOP``, ``退订`` ...), alone or
  leading the message, puts the number on the do-not-call list.
* Quiet hours: the compliance profile's calling hours in the recipient's own
  zones (the dialer's rule, :func:`orchestrator.leads.hours.next_allowed`); a
  message due in quiet hours waits for the next window instead of being dropped.
* Rate: a token bucket per broadcast; the sender asks how many it may send now.
* Unconfirmed sends: a message marked "sending" whose HTTP answer was lost may or
  may not be in Kannel. Kannel reports every message it took (the dlr-url carries
  our id), so once the gateway has been up for ``grace_s`` without a report for
  it, it never reached Kannel and is sent again; never earlier, so never twice.
* Lost reports: smsbox acknowledges a delivery report to bearerbox as soon as it
  has *started* the HTTP call to our dlr-url (Kannel 1.4.5), so the reports a
  killed smsbox still held are gone; bearerbox's store only keeps what smsbox did
  not take yet. A message Kannel accepted before the running smsbox connected,
  still without a report once that smsbox has had ``grace_s`` to deliver what
  bearerbox kept for it, never gets one: :func:`reports_lost_before`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from orchestrator.leads.hours import CallingHours, next_allowed

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt-out",
                        "退订", "退訂", "td", "取消", "arret", "arrêt"})
_WORD = re.compile(r"[\w-]+", re.UNICODE)


def is_opt_out(text: str) -> bool:
    """True for a reply that asks to stop: a stop word alone or first (``STOP``, ``退订``, ``stop please``).

    Chinese has no spaces: a reply starting with 退订 counts whatever follows.
    """
    normal = unicodedata.normalize("NFKC", text).strip().casefold()
    if any(normal.startswith(w) for w in STOP_WORDS if not w.isascii()):
        return True
    first = _WORD.match(normal)
    return first is not None and first.group(0) in STOP_WORDS


def send_at(now: float, zones: tuple[ZoneInfo, ...], hours: CallingHours) -> float | None:
    """``now`` if a message may go now, else when quiet hours end in all the recipient's zones
    (None: the profile's hours never open)."""
    return next_allowed(now, zones, hours)


@dataclass
class RateLimiter:
    """Token bucket: ``rate_per_s`` on average, at most ``burst`` at once (one second's worth by default)."""

    rate_per_s: float
    burst: float = 0.0
    _tokens: float = field(default=0.0, init=False)
    _at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0:
            raise ValueError(f"rate must be positive: {self.rate_per_s}")
        self.burst = self.burst or max(self.rate_per_s, 1.0)

    def allowance(self, now: float) -> int:
        """How many messages may go at ``now`` (call :meth:`spend` with what was actually sent)."""
        if self._at is None:
            self._tokens = 1.0
        else:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate_per_s)
        self._at = now
        return int(self._tokens)

    def spend(self, count: int) -> None:
        self._tokens -= count


@dataclass(frozen=True, slots=True)
class Segment:
    """A campaign's outcome segment: leads whose last outcome or disposition code is one of these
    (empty: every lead of the campaign)."""

    outcomes: frozenset[str] = frozenset()
    dispositions: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str, known_outcomes: Collection[str]) -> Segment:
        """``"no_answer busy SALE"``: outcome names, anything else a disposition code."""
        words = text.replace(",", " ").split()
        return cls(frozenset(w for w in words if w in known_outcomes),
                   frozenset(w for w in words if w not in known_outcomes))

    def matches(self, last_outcome: str | None, disposition_code: str | None) -> bool:
        if not (self.outcomes or self.dispositions):
            return True
        return last_outcome in self.outcomes or disposition_code in self.dispositions


def may_resend(marked_at: float, gateway_up_since: float | None, reported: bool, grace_s: float,
               now: float) -> bool:
    """Whether a message left "sending" (no answer from Kannel) may be sent again.

    Only when Kannel has no trace of it: no delivery report, and the gateway has
    been answering since before the mark for ``grace_s`` (time for a queued report
    to arrive, e.g. after an smsbox restart).
    """
    if reported or gateway_up_since is None:
        return False
    return now - max(gateway_up_since, marked_at) >= grace_s


def reports_lost_before(box_connected_at: float | None, now: float, grace_s: float,
                        timeout_s: float) -> float:
    """Messages Kannel accepted before the returned time and still without a delivery report never get
    one: those accepted before the running smsbox connected (the one before it died with their reports)
    once it has been up ``grace_s``; and any after ``timeout_s`` (reports the web app could not take in
    all smsbox's retries). They end "sent": Kannel had them, and its store hands each to the operator."""
    cut = now - timeout_s
    if box_connected_at is not None and now - box_connected_at >= grace_s:
        cut = max(cut, box_connected_at)
    return cut
