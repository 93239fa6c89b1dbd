"""Faxes: a try started or ended (``faxes_out``), a fax received or turned away busy (``faxes_in``)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from orchestrator import fax
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m
from store.enums import FaxInStatus, FaxStatus


def _update(s: Session, fax_id: int, **values: object) -> None:
    s.execute(update(m.FaxOut).where(m.FaxOut.id == fax_id).values(**values),
              execution_options={"synchronize_session": False})


@writes(fax.FaxTryStarted)
def try_started(to: Target, s: Session, fact: fax.FaxTryStarted) -> None:
    _update(s, fact.fax_id, status=FaxStatus.SENDING, node_id=to.node_id, attempts=fact.attempt,
            started_at=to_dt(fact.at), channel_id=fact.channel_id or None)


@writes(fax.FaxTryEnded)
def try_ended(to: Target, s: Session, fact: fax.FaxTryEnded) -> None:
    """Sent or failed for good (finished), or retrying: busy or no answer, another try after a delay."""
    if fact.outcome is fax.FaxOutcome.INTERRUPTED:
        status = FaxStatus.INTERRUPTED
    elif fact.outcome is fax.FaxOutcome.SENT:
        status = FaxStatus.SENT
    else:
        status = FaxStatus.FAILED if fact.final else FaxStatus.RETRYING
    _update(s, fact.fax_id, status=status, attempts=fact.attempt, pages_sent=fact.pages,
            remote_station=fact.station, error=fact.error[:255],
            finished_at=to_dt(fact.at) if fact.final else None)


@writes(fax.FaxNotSendable)
def not_sendable(to: Target, s: Session, fact: fax.FaxNotSendable) -> None:
    _update(s, fact.fax_id, status=FaxStatus.FAILED, node_id=to.node_id, error=fact.error[:255],
            finished_at=to_dt(fact.at))


@writes(fax.FaxReceived)
def received(to: Target, s: Session, fact: fax.FaxReceived) -> None:
    status = FaxInStatus.BUSY if fact.busy else FaxInStatus.RECEIVED if fact.ok else FaxInStatus.FAILED
    s.add(m.FaxIn(node_id=to.node_id, status=status, sender=fact.caller, did=fact.called,
                  remote_station=fact.station, pages=fact.pages, error=fact.error[:255], pdf=fact.pdf,
                  received_at=to_dt(fact.at)))
