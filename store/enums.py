"""Enumerations stored in the database (as their string values).

Where the core already has an enum (agent states, AMD verdicts, attempt
outcomes, compliance profiles) the store uses it, so the runner writes what the core decided
without translating; ``MachineAction`` has the values of
``orchestrator.dialer.config.MachineAction`` (not imported: the store must not
load the dialer). ``LeadStatus`` is a superset of the core's
``orchestrator.leads.model.LeadStatus`` (adds ``new`` and ``dialing``, which
only the store needs).
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.compliance_profiles import ComplianceProfile
from orchestrator.events import AgentState, AmdVerdict
from orchestrator.leads.outcomes import Outcome

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
    "LegKind",
    "MachineAction",
    "Outcome",
    "PbxKind",
    "RecordingStatus",
    "SmsBroadcastState",
    "SmsStatus",
    "UserRole",
]


class UserRole(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    QA = "qa"
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


class MachineAction(StrEnum):
    """What to do when AMD says MACHINE."""

    HANGUP = "hangup"
    MESSAGE = "message"  # leave the campaign's message after the beep


class LeadStatus(StrEnum):
    NEW = "new"  # imported, never dialed
    PENDING = "pending"  # dial again at next_call_at (retry, or released before dialing)
    CALLBACK = "callback"  # scheduled by an agent; for that agent only if callback_agent_id is set
    DIALING = "dialing"  # claimed by a runner (claimed_by); the core owns it until it updates it
    DONE = "done"  # connected, or out of attempts
    INVALID = "invalid"  # the number cannot be reached
    DNC = "dnc"  # on a do-not-call list


#: Statuses a runner may claim. The claim query and the partial index share it.
DIALABLE_LEAD_STATUSES: tuple[LeadStatus, ...] = (LeadStatus.NEW, LeadStatus.PENDING, LeadStatus.CALLBACK)


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class LegKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    LOCAL = "local"
    OTHER = "other"


class DeskCommand(StrEnum):
    """What the web asks a node's runner to do for an agent (``DeskRequest.kind``).

    The web writes them, the runner carries them out (``runner.commands_in``
    registers one handler per kind and says what each needs).
    """

    AGENT_LOGIN = "agent_login"
    AGENT_STATE = "agent_state"
    AGENT_LOGOUT = "agent_logout"
    PREVIEW_DIAL = "preview_dial"
    DISPOSITION = "disposition"


class DeskRequestStatus(StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    DONE = "done"
    FAILED = "failed"


class SmsBroadcastState(StrEnum):
    SCHEDULED = "scheduled"  # sends from its start time
    PAUSED = "paused"
    DONE = "done"  # every message has left the queue


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
