"""SMS broadcasts in the database: recipients, the sender's marks, delivery reports, replies.

Every state change the sender makes is committed before the next step (marked
"sending" before the HTTP request to Kannel, "accepted" after its answer), so a
crash leaves each message either untouched, accepted, or "sending" for
:func:`orchestrator.messaging.policy.may_resend` to decide on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator.messaging import text as sms_text
from orchestrator.messaging.policy import Segment
from store.dnc import in_force
from store.enums import ComplianceProfile, Outcome, SmsBroadcastKind, SmsBroadcastState, SmsStatus
from store.models import Attempt, Campaign, Disposition, DncEntry, Lead, SmsBroadcast, SmsMessage

#: Kannel's delivery report types (``%d`` in the dlr-url) and the status each one means.
REPORTS = {1: SmsStatus.DELIVERED, 2: SmsStatus.FAILED, 8: SmsStatus.SENT, 16: SmsStatus.FAILED}
#: The later a status, the higher: a report never moves a message back (Kannel may report
#: "delivered" before "sent to the SMSC").
_ORDER = {SmsStatus.QUEUED: 0, SmsStatus.SENDING: 1, SmsStatus.ACCEPTED: 2, SmsStatus.SENT: 3,
          SmsStatus.DELIVERED: 4, SmsStatus.FAILED: 4, SmsStatus.BLOCKED: 4}
#: Reports asked for: delivered, failed, rejected by the SMSC. Not "buffered" (4) nor "taken by the
#: SMSC" (8): Kannel's 202 already says "accepted", and 8 would double the callbacks the web app takes.
DLR_MASK = 1 | 2 | 16
#: Statuses that still wait for the sender or for a final delivery report. "sent" is final: the operator
#: has it and no report is to come (DLR_MASK does not ask for "sent" reports; the sender settles a message
#: whose report Kannel lost as "sent"); a late report still moves it on.
OPEN = (SmsStatus.QUEUED, SmsStatus.SENDING, SmsStatus.ACCEPTED)
#: A campaign's post-call messages go out at most this fast (they come one per disposition).
POST_CALL_RATE_PER_S = 10.0


@dataclass(frozen=True)
class BroadcastSpec:
    name: str
    template: str
    list_id: int | None
    campaign_id: int | None
    segment: str
    compliance_profile: ComplianceProfile
    default_timezone: str
    rate_per_s: float
    start_at: datetime
    state: SmsBroadcastState = SmsBroadcastState.SCHEDULED  # PAUSED: a draft, sent once started


def _recipients(session: Session, spec: BroadcastSpec) -> Iterable[Lead]:
    if spec.list_id is not None:
        yield from session.scalars(select(Lead).where(Lead.list_id == spec.list_id).order_by(Lead.id))
        return
    segment = Segment.parse(spec.segment, {o.value for o in Outcome})
    rows = session.execute(
        select(Lead, Disposition.code).outerjoin(Disposition, Lead.disposition_id == Disposition.id)
        .where(Lead.campaign_id == spec.campaign_id).order_by(Lead.id))
    for lead, code in rows:
        if segment.matches(lead.last_outcome.value if lead.last_outcome else None, code):
            yield lead


def merge_values(lead: Lead) -> dict[str, object]:
    """What a template's merge fields are filled from: the lead's fields, its number and id."""
    return {**(lead.fields or {}), "phone": lead.phone, "lead_id": lead.id}


def _message_row(broadcast_id: int, lead: Lead, template: str) -> dict[str, object]:
    return {"broadcast_id": broadcast_id, "lead_id": lead.id, "phone": lead.phone, "timezone": lead.timezone,
            "text": sms_text.fill(template, merge_values(lead)), "status": SmsStatus.QUEUED, "attempts": 0,
            "error": ""}


def create_broadcast(session: Session, spec: BroadcastSpec) -> SmsBroadcast:
    """The broadcast and one queued message per recipient, its text filled from the lead's fields."""
    broadcast = SmsBroadcast(
        name=spec.name, template=spec.template, list_id=spec.list_id, campaign_id=spec.campaign_id,
        segment=spec.segment, compliance_profile=spec.compliance_profile,
        default_timezone=spec.default_timezone, rate_per_s=spec.rate_per_s, start_at=spec.start_at,
        state=spec.state)
    session.add(broadcast)
    session.flush()
    rows = [_message_row(broadcast.id, lead, spec.template) for lead in _recipients(session, spec)]
    if rows:
        session.execute(insert(SmsMessage), rows)
    return broadcast


def post_call_broadcast(session: Session, campaign: Campaign) -> SmsBroadcast:
    """The campaign's post-call broadcast, created on its first message; its compliance profile
    follows the campaign's. Two agents saving the first ones at once: the unique index lets one
    create it, the other reads it."""
    broadcast = session.scalar(select(SmsBroadcast).where(SmsBroadcast.campaign_id == campaign.id,
                                                          SmsBroadcast.kind == SmsBroadcastKind.POST_CALL))
    if broadcast is None:
        broadcast = SmsBroadcast(
            name=f"After calls: {campaign.name}"[:128], template="(each disposition's own)",
            campaign_id=campaign.id, compliance_profile=campaign.compliance_profile, default_timezone="UTC",
            rate_per_s=POST_CALL_RATE_PER_S,
            start_at=datetime.fromtimestamp(0, UTC), kind=SmsBroadcastKind.POST_CALL)
        try:
            with session.begin_nested():
                session.add(broadcast)
        except IntegrityError:
            return post_call_broadcast(session, campaign)
    broadcast.compliance_profile = campaign.compliance_profile
    return broadcast


def queue_post_call(session: Session, attempt: Attempt, disposition: Disposition) -> SmsMessage | None:
    """Queue the disposition's SMS to the attempt's lead (None: the disposition has none).

    One message per call: a disposition saved again replaces the message while it
    still waits (none, if the new disposition has no SMS); once sent it stays.
    """
    session.execute(delete(SmsMessage).where(SmsMessage.attempt_id == attempt.id,
                                             SmsMessage.status == SmsStatus.QUEUED))
    if not disposition.sms_template or session.scalar(
            select(SmsMessage.id).where(SmsMessage.attempt_id == attempt.id)) is not None:
        return None
    lead = session.get(Lead, attempt.lead_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    if lead is None or campaign is None:
        return None
    message = SmsMessage(**_message_row(post_call_broadcast(session, campaign).id, lead,
                                        disposition.sms_template), attempt_id=attempt.id)
    session.add(message)
    return message


def active_broadcasts(session: Session, now: datetime) -> Sequence[SmsBroadcast]:
    return session.scalars(select(SmsBroadcast).where(
        SmsBroadcast.state == SmsBroadcastState.SCHEDULED, SmsBroadcast.start_at <= now)
        .order_by(SmsBroadcast.id)).all()


def due(session: Session, broadcast_id: int, now: datetime, limit: int) -> Sequence[SmsMessage]:
    """Queued messages whose quiet-hours deferral (if any) is over, oldest first."""
    return session.scalars(select(SmsMessage).where(
        SmsMessage.broadcast_id == broadcast_id, SmsMessage.status == SmsStatus.QUEUED,
        (SmsMessage.not_before.is_(None)) | (SmsMessage.not_before <= now))
        .order_by(SmsMessage.id).limit(limit)).all()


def unconfirmed(session: Session) -> Sequence[SmsMessage]:
    """Messages marked "sending" without Kannel's answer (the sender crashed or the request failed midway)."""
    return session.scalars(select(SmsMessage).where(SmsMessage.status == SmsStatus.SENDING)).all()


def finish_if_drained(session: Session, broadcast: SmsBroadcast) -> bool:
    """Mark the broadcast done once no message waits to be sent (reports may still arrive); a
    post-call broadcast stays open for the next disposition."""
    if broadcast.kind is SmsBroadcastKind.POST_CALL:
        return False
    waiting = session.scalar(select(func.count()).select_from(SmsMessage).where(
        SmsMessage.broadcast_id == broadcast.id,
        SmsMessage.status.in_((SmsStatus.QUEUED, SmsStatus.SENDING))))
    if waiting:
        return False
    broadcast.state = SmsBroadcastState.DONE
    return True


_MESSAGES = cast(Table, SmsMessage.__table__)


def _report_update(status: SmsStatus) -> Update:
    earlier = [s for s, rank in _ORDER.items() if rank < _ORDER[status]]
    return (update(_MESSAGES).where(_MESSAGES.c.id == bindparam("m_id"), _MESSAGES.c.status.in_(earlier))
            .values(status=status, report_type=bindparam("r_type"), reported_at=bindparam("r_at"), error=""))


#: Built once: a delivery report is one small UPDATE, and Kannel posts one per message (hundreds a
#: second in a broadcast), so neither the statement nor the ORM's session bookkeeping is redone each time.
_REPORT_UPDATES = {status: _report_update(status) for status in set(REPORTS.values())}
_TOUCH = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("m_id")).values(reported_at=bindparam("r_at"))


def record_report(session: Session, message_id: int, report_type: int, now: datetime) -> bool:
    """Apply one Kannel delivery report; False if the message or the type is unknown.

    One conditional UPDATE: Kannel sends a message's reports concurrently (the SMSC's
    acknowledgement and the delivery), and a read-then-write would let the earlier
    status overwrite the later one.
    """
    status = REPORTS.get(report_type)
    if status is None:
        return False
    params = {"m_id": message_id, "r_type": report_type, "r_at": now}
    moved: CursorResult[Any] = session.execute(_REPORT_UPDATES[status], params)  # type: ignore[assignment]
    if moved.rowcount:
        return True
    touched: CursorResult[Any] = session.execute(_TOUCH, params)  # type: ignore[assignment]
    return bool(touched.rowcount)


def opt_out(session: Session, phone: str, reason: str) -> None:
    """Put ``phone`` on the global do-not-call list (idempotent)."""
    exists = session.scalar(select(DncEntry.id).where(DncEntry.phone == phone,
                                                      DncEntry.campaign_id.is_(None)))
    if exists is None:
        session.add(DncEntry(phone=phone, campaign_id=None, reason=reason[:255], source="sms"))


def counts(session: Session, broadcast_ids: Sequence[int]) -> dict[int, dict[SmsStatus, int]]:
    """Messages per status for each broadcast."""
    result: dict[int, dict[SmsStatus, int]] = {b: dict.fromkeys(SmsStatus, 0) for b in broadcast_ids}
    rows = session.execute(select(SmsMessage.broadcast_id, SmsMessage.status, func.count())
                           .where(SmsMessage.broadcast_id.in_(broadcast_ids))
                           .group_by(SmsMessage.broadcast_id, SmsMessage.status))
    for broadcast_id, status, n in rows:
        result[broadcast_id][status] = n
    return result


def set_status(session: Session, ids: Sequence[int], status: SmsStatus, *, only_from: SmsStatus,
               **values: object) -> None:
    """One UPDATE for a batch of messages (the sender's marks), only those still ``only_from``: a
    delivery report the web app applied meanwhile is never overwritten."""
    if ids:
        session.execute(update(SmsMessage).where(SmsMessage.id.in_(ids), SmsMessage.status == only_from)
                        .values(status=status, **values))


def mark_accepted(session: Session, ids: Sequence[int], at: datetime) -> None:
    """Kannel took these: note when (always) and mark them accepted (unless a report came first)."""
    if ids:
        session.execute(update(SmsMessage).where(SmsMessage.id.in_(ids)).values(accepted_at=at))
        set_status(session, ids, SmsStatus.ACCEPTED, only_from=SmsStatus.SENDING)


def settle_unreported(session: Session, accepted_before: datetime, reason: str) -> int:
    """Messages Kannel accepted before ``accepted_before`` and never reported on: "sent", with ``reason``
    (:func:`orchestrator.messaging.policy.reports_lost_before` says when no report can come any more)."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(_MESSAGES).where(_MESSAGES.c.status == SmsStatus.ACCEPTED, _MESSAGES.c.reported_at.is_(None),
                                _MESSAGES.c.accepted_at < accepted_before)
        .values(status=SmsStatus.SENT, error=reason[:255]))
    return result.rowcount


def blocked(session: Session, phones: Sequence[str], campaign_id: int | None, now: datetime) -> set[str]:
    """Those of ``phones`` on the do-not-call list (global, or the campaign's), unexpired: one query
    per batch, by the dialer's own rule (:func:`store.dnc.in_force`)."""
    return set(session.scalars(select(DncEntry.phone).where(DncEntry.phone.in_(set(phones)),
                                                            in_force(campaign_id, now))))
