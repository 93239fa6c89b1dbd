"""Failed-credential throttles for the log-in form and FreeSWITCH's xml_curl endpoint.

Counted with ``limits`` (the engine of Flask-Limiter) in a moving window, and
only for *failures*: a right password costs nothing, a guessed one counts
against both the account (or node) and the client address, so neither a
slow spray over many accounts from one address nor a botnet on one account
gets far. The tiers are the backoff: a few tries a minute, then fewer an hour,
then a day. With ``throttle_storage = "redis://..."`` every web process shares
the counts; ``memory://`` counts in this process only.

Flask-Limiter's decorators count every request of a route; here the count
depends on the outcome and the key on the form's user name, which the
library's storage and strategy do directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

#: Per account (user name, or FreeSWITCH node name) and per client address.
LIMITS = {
    ("login", "account"): parse_many("5/minute;20/hour;100/day"),
    ("login", "address"): parse_many("20/minute;100/hour;500/day"),
    ("fsxml", "account"): parse_many("10/minute;60/hour"),
    ("fsxml", "address"): parse_many("10/minute;60/hour"),
}


@dataclass(frozen=True)
class Key:
    """One counter: what is throttled (``login``/``fsxml``), by which scope, for whom."""

    what: str
    scope: str
    who: str

    @property
    def items(self) -> list[RateLimitItem]:
        return LIMITS[(self.what, self.scope)]


def keys(what: str, account: str, address: str | None) -> list[Key]:
    return [Key(what, "account", account.strip().lower()[:128]), Key(what, "address", address or "?")]


class Throttle:
    def __init__(self, storage_url: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url))

    def wait(self, counters: list[Key]) -> tuple[Key, int] | None:
        """The first exhausted counter and the seconds until it allows a try again; None: go ahead."""
        for key in counters:
            for item in key.items:
                if not self._limiter.test(item, key.what, key.scope, key.who):
                    reset = self._limiter.get_window_stats(item, key.what, key.scope, key.who).reset_time
                    return key, max(1, int(reset - time.time()) + 1)
        return None

    def failed(self, counters: list[Key]) -> list[Key]:
        """Count one failure on each counter; returns those this failure exhausted (audit them once)."""
        engaged = []
        for key in counters:
            for item in key.items:
                self._limiter.hit(item, key.what, key.scope, key.who)
                if self._limiter.get_window_stats(item, key.what, key.scope, key.who).remaining == 0:
                    engaged.append(key)
                    break
        return engaged

    def succeeded(self, account: Key) -> None:
        """A right password forgives the account's earlier typos (the address keeps its count)."""
        for item in account.items:
            self._limiter.clear(item, account.what, account.scope, account.who)


def init_app(app: Flask, storage_url: str) -> None:
    app.extensions["sb_throttle"] = Throttle(storage_url)


def throttle() -> Throttle:
    return current_app.extensions["sb_throttle"]


def refused(key: Key) -> None:
    """Count a refused request in ``switchboard_throttled_total`` (bursts show on the dashboards)."""
    current_app.extensions["sb_metrics"]["throttled"].labels(key.what, key.scope).inc()
