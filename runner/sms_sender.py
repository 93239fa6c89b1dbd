"""The SMS sending loop (``switchboard sms-sender``): due messages to Kannel's ``sendsms``, at each
broadcast's rate, crash-safe.

Per tick and broadcast: ask the broadcast's token bucket how many may go, take
that many due messages, drop those on the do-not-call list (opt-outs included)
and defer those in quiet hours, **commit them as "sending"**, send each with
its id in the ``dlr-url``, then commit what Kannel answered. A restart finds
"sending" rows: a delivery report settles each one Kannel had (it reports every
message it took); one with no report once Kannel has been answering for
:data:`RESEND_GRACE_S` never reached it and goes again
(:func:`orchestrator.messaging.policy.may_resend`). So no message is sent twice
and none is lost, whether the sender, the smsbox or the bearerbox dies.
"""

from __future__ import annotations

import enum
import http.client
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from orchestrator.compliance import rules_for
from orchestrator.leads.hours import lead_zones
from orchestrator.messaging import policy
from orchestrator.messaging import text as sms_text
from provisioning import kannel
from settings import Settings
from store import messaging as store
from store.db import make_engine, session_factory
from store.enums import SmsStatus
from store.models import SmsBroadcast, SmsMessage

log = logging.getLogger(__name__)

TICK_S = 0.1  # 20 messages a batch at 200/s: half the sender's CPU per message of a 20 ms tick
RESEND_GRACE_S = 10.0
#: A new smsbox has this long to post the reports bearerbox kept for it (its retries included) before
#: the messages accepted ahead of it without a report are settled: :func:`policy.reports_lost_before`.
REPORT_GRACE_S = kannel.REPORT_RETRY_WINDOW_S + 5.0
#: Any accepted message still without a report after this long is settled too (an SMS's usual validity).
REPORT_TIMEOUT_S = 2 * 86400.0
RECONCILE_EVERY_S = 2.0
LOST_REPORT = "no delivery report came back (smsbox restarted, or the web app missed its retries)"
HTTP_TIMEOUT_S = 10.0
CONCURRENCY = 8  # sendsms requests in flight


#: A box line of bearerbox's status.txt: ``smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 1m 2s)``.
_SMSBOX_ONLINE = re.compile(r"smsbox:.*?on-line (\d+)d (\d+)h (\d+)m (\d+)s")


class Answer(enum.Enum):
    ACCEPTED = "accepted"  # 202: Kannel has it (and will report on it)
    NOT_SENT = "not sent"  # no connection, or Kannel refused it for now (5xx): send again later
    REJECTED = "rejected"  # 4xx: Kannel will never take it (bad number, bad account)
    UNKNOWN = "unknown"  # the request may have reached Kannel: only a report can tell


class Kannel:
    """smsbox's HTTP ``sendsms``: one connection per message, so a refused connect means "not sent"."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dlr_url = f"{settings.callback_url}{kannel.dlr_path(settings)}"

    def answering(self) -> bool:
        """Whether smsbox accepts connections (it then also holds the reports bearerbox kept for it)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.settings.kannel_sendsms_port, timeout=2)
        try:
            conn.connect()
        except OSError:
            return False
        finally:
            conn.close()
        return True

    def ready(self) -> bool:
        """smsbox answers and bearerbox lists it among its box connections: its start-up is over.

        Kannel 1.4.5's smsbox opens its sendsms port before its URL translations are set
        up, and a request in that gap crashes it (``urltrans_find_username``): after an
        outage the sender waits for this, not for the port alone.
        """
        return self.answering() and self.smsbox_online_s() is not None

    def _boxes(self) -> str | None:
        """The "Box connections" part of bearerbox's ``status.txt`` (None: bearerbox does not answer)."""
        query = urllib.parse.urlencode({"password": self.settings.sms_secret})
        conn = http.client.HTTPConnection("127.0.0.1", self.settings.kannel_admin_port, timeout=2)
        try:
            conn.request("GET", f"/status.txt?{query}")
            status = conn.getresponse().read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()
        return status.partition("Box connections:")[2].partition("SMSC connections:")[0]

    def smsbox_online_s(self) -> int | None:
        """For how many whole seconds the youngest smsbox has been connected to bearerbox (None: none is)."""
        boxes = self._boxes()
        times = [int(d) * 86400 + int(h) * 3600 + int(m) * 60 + int(sec)
                 for d, h, m, sec in _SMSBOX_ONLINE.findall(boxes or "")]
        return min(times) if times else None

    def send(self, message_id: int, phone: str, text: str) -> tuple[Answer, str]:
        query = urllib.parse.urlencode({
            "username": kannel.SENDSMS_USER, "password": self.settings.sms_secret, "to": phone,
            "text": text, "charset": "UTF-8", "coding": int(sms_text.shape(text).coding),
            "dlr-mask": store.DLR_MASK, "dlr-url": f"{self.dlr_url}?id={message_id}&type=%d",
        })
        conn = http.client.HTTPConnection("127.0.0.1", self.settings.kannel_sendsms_port,
                                          timeout=HTTP_TIMEOUT_S)
        try:
            conn.connect()
        except OSError as exc:
            return Answer.NOT_SENT, f"sendsms unreachable: {exc}"
        try:
            conn.request("GET", f"/cgi-bin/sendsms?{query}")
            response = conn.getresponse()
            body = response.read().decode(errors="replace").strip()
        except (OSError, http.client.HTTPException) as exc:
            return Answer.UNKNOWN, f"no answer from sendsms: {exc}"
        finally:
            conn.close()
        if response.status in (200, 202):
            return Answer.ACCEPTED, body
        if response.status >= 500:
            return Answer.NOT_SENT, body
        return Answer.REJECTED, f"{response.status} {body}"[:255]


class Sender:
    """The loop's state: one token bucket per broadcast and since when Kannel has been answering."""

    def __init__(self, sessions: sessionmaker[Session], gateway: Kannel, *, grace_s: float = RESEND_GRACE_S,
                 report_grace_s: float = REPORT_GRACE_S):
        self.sessions = sessions
        self.gateway = gateway
        self.grace_s = grace_s
        self.report_grace_s = report_grace_s
        self.next_reconcile = 0.0
        self.limiters: dict[int, policy.RateLimiter] = {}
        self.pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="sendsms")
        self.up_since: float | None = None
        self.gateway_down = False  # a send found Kannel unreachable: wait until it is ready again

    def tick(self, now: float) -> int:
        """One pass over the active broadcasts; returns how many messages went to Kannel."""
        sent = 0
        if self.gateway_down:
            if not self.gateway.ready():
                return 0
            self.gateway_down = False
        with self.sessions() as session:
            self._settle_unconfirmed(session, now)
            self._settle_unreported(session, now)
            for broadcast in store.active_broadcasts(session, datetime.fromtimestamp(now, UTC)):
                sent += self._send_some(session, broadcast, now)
        return sent

    def _settle_unconfirmed(self, session: Session, now: float) -> None:
        pending = store.unconfirmed(session)
        if pending and self.up_since is None and self.gateway.answering():
            self.up_since = now
        again = [m.id for m in pending
                 if policy.may_resend(m.marked_at.timestamp() if m.marked_at else 0.0, self.up_since,
                                      m.reported_at is not None, self.grace_s, now)]
        if again:
            log.warning("sms: %d messages never reached Kannel, queued again", len(again))
            store.set_status(session, again, SmsStatus.QUEUED, only_from=SmsStatus.SENDING)
            session.commit()

    def _settle_unreported(self, session: Session, now: float) -> None:
        """Every few seconds: the accepted messages whose report can no longer come end "sent"."""
        if now < self.next_reconcile:
            return
        self.next_reconcile = now + RECONCILE_EVERY_S
        online = self.gateway.smsbox_online_s()
        cut = policy.reports_lost_before(None if online is None else now - online, now, self.report_grace_s,
                                         REPORT_TIMEOUT_S)
        settled = store.settle_unreported(session, datetime.fromtimestamp(cut, UTC), LOST_REPORT)
        if settled:
            log.warning("sms: %d messages accepted by Kannel got no delivery report: marked sent", settled)
            session.commit()

    def _send_some(self, session: Session, broadcast: SmsBroadcast, now: float) -> int:
        limiter = self.limiters.setdefault(broadcast.id, policy.RateLimiter(broadcast.rate_per_s))
        allowed = limiter.allowance(now)
        if allowed <= 0:
            return 0
        at = datetime.fromtimestamp(now, UTC)
        batch = store.due(session, broadcast.id, at, allowed)
        if not batch:
            if store.finish_if_drained(session, broadcast):
                session.commit()
            return 0
        ready = self._checked(session, broadcast, batch, now)
        store.set_status(session, [m.id for m in ready], SmsStatus.SENDING, only_from=SmsStatus.QUEUED,
                         marked_at=at, attempts=SmsMessage.attempts + 1)
        session.commit()  # marked before sending: a crash from here on leaves them "sending"
        answers = self._send(ready)
        for answer, ids in answers.items():
            if answer is Answer.ACCEPTED:
                store.mark_accepted(session, ids, datetime.now(UTC))
            elif answer is Answer.NOT_SENT:
                store.set_status(session, ids, SmsStatus.QUEUED, only_from=SmsStatus.SENDING)
        session.commit()
        tried = len(ready) - len(answers.get(Answer.NOT_SENT, []))
        limiter.spend(tried)
        return tried

    def _checked(self, session: Session, broadcast: SmsBroadcast, batch: Sequence[SmsMessage],
                 now: float) -> list[SmsMessage]:
        """The messages that may go now; the rest are blocked (do-not-call) or deferred (quiet hours)."""
        hours = rules_for(broadcast.compliance_profile).calling_hours
        at = datetime.fromtimestamp(now, UTC)
        ready = []
        dnc = store.blocked(session, [m.phone for m in batch], broadcast.campaign_id, at)
        for message in batch:
            if message.phone in dnc:
                message.status = SmsStatus.BLOCKED
                continue
            zones = lead_zones(message.phone, message.timezone, broadcast.default_timezone)
            when = policy.send_at(now, zones, hours)
            if when is None:
                message.status, message.error = SmsStatus.FAILED, "the profile's hours never open"
            elif when > now:
                message.not_before = datetime.fromtimestamp(when, UTC)
            else:
                ready.append(message)
        return ready

    def _send(self, messages: list[SmsMessage]) -> dict[Answer, list[int]]:
        """Send a batch over :data:`CONCURRENCY` connections (smsbox takes a few ms per request)."""
        answers: dict[Answer, list[int]] = {}
        results = list(self.pool.map(lambda m: self.gateway.send(m.id, m.phone, m.text), messages))
        for message, (answer, detail) in zip(messages, results, strict=True):
            if answer is Answer.REJECTED:
                message.status, message.error = SmsStatus.FAILED, detail
                continue
            if answer is not Answer.ACCEPTED:
                log.warning("sms: message %d %s: %s", message.id, answer.value, detail)
            answers.setdefault(answer, []).append(message.id)
        if Answer.NOT_SENT in answers:  # Kannel is down (or refusing): reports may be held back
            self.up_since = None
            self.gateway_down = True
        elif Answer.ACCEPTED in answers and self.up_since is None:
            self.up_since = time.time()
        return answers


def run(settings: Settings, stop: threading.Event | None = None) -> None:
    """Send until ``stop`` is set (or forever): the ``switchboard sms-sender`` process."""
    stop = stop or threading.Event()
    engine = make_engine(settings.sqlalchemy_url)
    sender = Sender(session_factory(engine), Kannel(settings))
    log.info("sms sender: sending through Kannel on 127.0.0.1:%d", settings.kannel_sendsms_port)
    try:
        while not stop.is_set():
            started = time.time()
            sender.tick(started)
            stop.wait(max(0.0, TICK_S - (time.time() - started)))
    finally:
        sender.pool.shutdown()
        engine.dispose()
