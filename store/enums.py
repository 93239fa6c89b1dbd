"""Enumerations stored in the database (as their string values).

Where the core has the enum (agent states, AMD verdicts, machine actions,
attempt outcomes, compliance profiles, lead statuses) the store uses it as the
column type, so the runner writes what the core decided without translating;
the enums defined here are the ones only the store and the web know.
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.amd import MachineAction
from orchestrator.compliance import ComplianceProfile
from orchestrator.events import AgentState, AmdVerdict
from orchestrator.inbound.queue import MaxWait
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.status import DIALABLE_LEAD_STATUSES, LeadStatus

__all__ = [
    "DIALABLE_LEAD_STATUSES",
    "OUTBOUND_MODES",
    "AgentState",
    "AmdVerdict",
    "CallDirection",
    "CampaignMode",
    "CampaignState",
    "ComplianceProfile",
    "DeskRequestStatus",
    "LeadStatus",
    "MachineAction",
    "MaxWait",
    "Outcome",
    "PaymentStatus",
    "PbxKind",
    "PurchaseState",
    "RecordingStatus",
    "SipTransport",
    "SmsBroadcastKind",
    "SmsBroadcastState",
    "SmsStatus",
    "T38Mode",
    "TrunkAuth",
    "UserRole",
]


class UserRole(StrEnum):
    """What a person does in the centre; what each may see and do is ``web.auth.roles.ROLE_PERMS``."""

    ADMIN = "admin"  # the first account: everything (sysadmin and director in one)
    DIRECTOR = "director"
    SUPERVISOR = "supervisor"  # centre-wide supervisor (every team)
    TEAM_LEADER = "team_leader"  # only the teams they lead
    QA = "qa"
    TRAINER = "trainer"
    DATA_MANAGER = "data_manager"
    SYSADMIN = "sysadmin"
    AGENT = "agent"


class PbxKind(StrEnum):
    ASTERISK = "asterisk"
    FREESWITCH = "freeswitch"


class RecordingStatus(StrEnum):
    """What a recording's file holds, as the web host found it (NULL: not checked yet)."""

    OK = "ok"
    EMPTY = "empty"  # a valid file with no audio frames (header only)
    DAMAGED = "damaged"  # not a WAV, or sizes that disagree with the file
    MISSING = "missing"  # no file where the recording should be


class CampaignMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    # Stored values only: an earlier campaign form offered them, nothing handles them yet.
    INBOUND = "inbound"
    BLENDED = "blended"


#: The modes a runner dials, and the only ones the campaign form offers.
OUTBOUND_MODES = (CampaignMode.PREVIEW, CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE)


class CampaignState(StrEnum):
    """Desired state, written by the web or the scheduler, obeyed by runners."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InboundTarget(StrEnum):
    """Who answers an inbound route's DID."""

    QUEUE = "queue"  # the hotline seats, then designated outbound agents
    SEAT = "seat"  # one agent
    IVR = "ivr"  # a menu of the admin's (``InboundRoute.ivr_id``), rendered into each PBX's dialplan


class IvrAction(StrEnum):
    """What a key pressed in an IVR menu does (``IvrMenu.options``)."""

    ROUTE = "route"  # on to an inbound route's queue (the hotline) or seat
    MENU = "menu"  # a sub-menu
    CALLBACK = "callback"  # "press N to be called back": listed on the Missed callers page
    HANGUP = "hangup"


class QueueOutcome(StrEnum):
    """How an inbound call left the queue (``calls.queue_outcome``)."""

    ANSWERED = "answered"  # by a hotline seat
    OVERFLOW = "overflow"  # by a designated outbound agent
    ABANDONED = "abandoned"  # the caller hung up while waiting
    VOICEMAIL = "voicemail"  # after the longest wait: left a message (or hung up at the prompt)
    CALLBACK = "callback"  # after the longest wait: asked to be called back
    CLOSED = "closed"  # outside business hours


class DeskCommand(StrEnum):
    """What the web asks a node's runner to do for an agent (``DeskRequest.kind``).

    The web writes them, the runner carries them out (``runner.commands_in``
    registers one handler per kind and says what each needs).
    """

    AGENT_LOGIN = "agent_login"
    AGENT_STATE = "agent_state"
    AGENT_LOGOUT = "agent_logout"
    AGENT_LEAVING = "agent_leaving"
    AGENT_MOVE = "agent_move"  # a supervisor moves the agent to another campaign (after the call)
    PREVIEW_DIAL = "preview_dial"
    DISPOSITION = "disposition"
    MONITOR = "monitor"  # a team leader listens to, whispers to or barges in on the agent's call
    END_CALL = "end_call"  # the agent ends their call (the customer hears the survey, if asked)
    TRANSFER = "transfer"  # the agent hands their customer to a READY agent of the node (blind)


class DeskRequestStatus(StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    DONE = "done"
    FAILED = "failed"


class SmsBroadcastState(StrEnum):
    SCHEDULED = "scheduled"  # sends from its start time
    PAUSED = "paused"
    DONE = "done"  # every message has left the queue


class SmsBroadcastKind(StrEnum):
    BROADCAST = "broadcast"  # a template to a list or segment, done once every message has left
    POST_CALL = "post_call"  # a campaign's messages after a disposition: open as long as the campaign


class SmsStatus(StrEnum):
    """One message's life: queued -> sending (marked before the HTTP request) -> accepted (Kannel
    answered 202) -> sent (the SMSC took it) -> delivered / failed (delivery reports)."""

    QUEUED = "queued"
    SENDING = "sending"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BLOCKED = "blocked"  # on the do-not-call list (opt-out included) at send time: never sent


class PaymentStatus(StrEnum):
    """Whether the customer has paid an order (cancellations and refunds are ``order_refunds``)."""

    PENDING = "pending"
    PAID = "paid"


class FaxStatus(StrEnum):
    """A fax we send: queued (waiting for a runner and a line) -> sending -> sent, or retrying
    (busy or no answer, another try after a delay) -> ... -> failed."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    #: The runner stopped during a try whose channel was gone when it came back: whether the far end got
    #: the pages is unknown, so it is not sent again by itself (the outbox can send it anew).
    INTERRUPTED = "interrupted"


class FaxInStatus(StrEnum):
    """A fax sent to one of our DIDs: received, failed half-way, or turned away busy (all lines taken)."""

    RECEIVED = "received"
    FAILED = "failed"
    BUSY = "busy"


class TrunkAuth(StrEnum):
    """How a carrier knows our calls: we register to it (user + secret), or by our IP address."""

    REGISTRATION = "registration"
    IP = "ip"


class SipTransport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class T38Mode(StrEnum):
    """Faxes over a trunk: T.38 (UDPTL) with an error correction, when the far end takes it up, else G.711;
    or ``off``: G.711 only (a carrier that mishandles T.38 re-INVITEs). The values are Asterisk's
    ``t38_udptl_ec``; FreeSWITCH's mod_spandsp always uses its own (redundancy)."""

    OFF = "off"
    REDUNDANCY = "redundancy"
    FEC = "fec"
    NONE = "none"


class ScoreReply(StrEnum):
    """What the agent said to a QA score of their call: nothing yet, accepted it, or disputed it."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"


class PurchaseState(StrEnum):
    """A bought batch: received (imported, held back) -> sampling (its sample is being dialed) ->
    accepted (the teams may get it) or rejected; destroyed once every record of it was wiped."""

    RECEIVED = "received"
    SAMPLING = "sampling"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DESTROYED = "destroyed"


class TicketEventKind(StrEnum):
    STEP = "step"  # into ``state``
    ESCALATED = "escalated"  # overdue in ``state``: told the team leader or the directors (the note: who)
    VISIT_SCHEDULED = "visit_scheduled"  # the return visit's callback booked (the note: when, which campaign)
