"""A runner with a standby: wait for the node's lease, keep it, and fence what it writes.

The decisions (when to renew, until when to act) are ``orchestrator.node.lease``;
this is its database side. :meth:`NodeLease.wait` is the standby's loop: it does
nothing else (no recovery, no claim, no PBX connection) until it holds the lease,
so it can never release the active runner's claims. A runner whose node has no
standby never builds one of these: only the lease can stop a runner, so a single
runner keeps riding out database outages as before.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.node.lease import HeldLease, LeaseLost, LeaseTerms
from runner.outage import DbGate
from store import leases

log = logging.getLogger("runner")

#: How often a standby asks for the lease (its takeover is at most this late after the expiry).
STANDBY_POLL_S = 0.25


def process_holder() -> str:
    """Names this process in the lease row (host, pid and a nonce: a restarted pid is a new holder)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


class StandbyNeedsPostgres(ValueError):
    """A node set for a standby runner on SQLite."""


class StandbySwitchedOn(LeaseLost):
    """The node was given a standby while this runner ran without a lease: it stops acting and starts
    again, holding the lease (before the second runner, started next, could take it)."""


def wait_while_leased(
    sessions: sessionmaker[Session], node_id: int, stopped: Callable[[float], bool]
) -> bool:
    """A runner without a standby waits while another runner still holds the node's lease (the node's
    standby was just switched off and the old pair is still running): never two acting at once.

    True once it may act; False when ``stopped(delay)`` (which sleeps up to ``delay``) said to stop.
    """
    bind = sessions.kw.get("bind")
    if bind is None or not leases.possible(bind.dialect.name):
        return True
    said, gate = False, DbGate()
    while True:
        delay = STANDBY_POLL_S * 4
        try:
            with sessions() as session:
                if not leases.held(session, node_id):
                    return True
        except DBAPIError as exc:
            gate.failed("reading the lease", exc)
            delay = gate.retry_in()
        else:
            if not said:
                log.warning(
                    "node_id=%s: another runner holds this node's lease; waiting until it stops", node_id
                )
                said = True
        if stopped(delay):
            return False


def limit_idle_transactions(engine: Engine, terms: LeaseTerms) -> None:
    """A standby runner's transactions may not sit idle: the server ends one after half the acting time.

    A fenced write holds the lease row (``FOR SHARE``) until it commits, and a takeover waits for
    that lock. A holder frozen inside such a transaction (SIGSTOP, a stuck host) would hold it for
    ever and the standby could never take over: PostgreSQL ends the frozen transaction instead,
    rolling its writes back, long before the lease can expire. Connections already open are
    dropped so that every one has the limit.
    """
    limit_ms = int((terms.ttl_s - terms.margin_s) / 2 * 1000)

    def with_limit(_dialect: object, _record: object, _cargs: object, cparams: dict[str, Any]) -> None:
        option = f"-c idle_in_transaction_session_timeout={limit_ms}"
        cparams["options"] = f"{cparams.get('options', '')} {option}".strip()

    event.listen(engine, "do_connect", with_limit)
    engine.dispose()


class NodeLease:
    """The lease of node ``node_id`` for this process; :meth:`wait` before acting, :meth:`keep` while."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        node_id: int,
        terms: LeaseTerms | None = None,
        *,
        holder: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bind = sessions.kw.get("bind")
        if bind is None or not leases.possible(bind.dialect.name):
            raise StandbyNeedsPostgres(leases.NEEDS_POSTGRES)
        self.sessions = sessions
        self.node_id = node_id
        self.terms = terms or LeaseTerms()
        self.holder = holder or process_holder()
        self.held: HeldLease | None = None
        self.db = DbGate()
        self._clock = clock

    def try_acquire(self) -> bool:
        """One try at the lease; True when this process holds it now (a new token)."""
        sent = self._clock()
        try:
            with self.sessions.begin() as session:
                token = leases.acquire(session, self.node_id, self.holder, self.terms.ttl_s)
        except DBAPIError as exc:
            self.db.failed("taking the lease", exc)
            return False
        self.db.succeeded()
        if token is None:
            return False
        self.held = HeldLease(token, sent, self.terms)
        log.info("lease taken node_id=%s token=%s holder=%s", self.node_id, token, self.holder)
        return True

    def wait(self, stopped: Callable[[float], bool]) -> bool:
        """The standby: ask every ``STANDBY_POLL_S`` until the lease is ours (True) or ``stopped(delay)``
        (which sleeps up to ``delay`` in the caller's way) says to stop (False)."""
        log.info("standby: waiting for the lease node_id=%s holder=%s", self.node_id, self.holder)
        while not self.try_acquire():
            if stopped(max(STANDBY_POLL_S, self.db.retry_in())):
                return False
        return True

    def _held(self) -> HeldLease:
        if self.held is None:
            raise LeaseLost(f"node {self.node_id}: no lease held")
        return self.held

    def check(self) -> None:
        """Before any action: raise :class:`LeaseLost` once the lease may have passed on (no database)."""
        self._held().check(self._clock())

    def keep(self) -> None:
        """On the runner's timer: renew when due; raise :class:`LeaseLost` when lost or run out."""
        held = self._held()
        now = self._clock()
        if held.renew_due(now) and self.db.open():
            sent = held.sending(now)
            try:
                with self.sessions.begin() as session:
                    ours = leases.renew(session, self.node_id, held.token, self.terms.ttl_s)
            except DBAPIError as exc:
                self.db.failed("renewing the lease", exc)
            else:
                self.db.succeeded()
                held.renewed(sent, ours)
        held.check(self._clock())

    def fence(self, session: Session) -> None:
        """Inside a write transaction: raise :class:`LeaseLost` unless our token still holds the node."""
        held = self._held()
        held.check(self._clock())
        leases.fence(session, self.node_id, held.token)

    def release(self) -> None:
        """A clean stop: hand the lease on at once (best effort; it expires anyway)."""
        held, self.held = self.held, None
        if held is None:
            return
        try:
            with self.sessions.begin() as session:
                leases.release(session, self.node_id, held.token)
        except DBAPIError as exc:
            log.warning("lease not released node_id=%s: %s", self.node_id, type(exc).__name__)
