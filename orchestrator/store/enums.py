"""Enumerations stored in the database (as their string values).

Agent states and AMD verdicts are the core's own enums (``orchestrator.events``)
so that what the runner observes is stored without translation.
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.events import AgentState, AmdVerdict

__all__ = [
    "DIALABLE_LEAD_STATUSES",
    "AgentState",
    "AmdAction",
    "AmdVerdict",
    "AttemptOutcome",
    "CallDirection",
    "CampaignMode",
    "CampaignState",
    "CommandStatus",
    "ComplianceProfile",
    "LeadStatus",
    "LegKind",
    "PbxKind",
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


class CampaignMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    INBOUND = "inbound"
    BLENDED = "blended"


class CampaignState(StrEnum):
    """Desired state, written by the web or the scheduler, obeyed by runners."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class ComplianceProfile(StrEnum):
    US = "US"
    UK = "UK"
    FR = "FR"
    CN = "CN"


class AmdAction(StrEnum):
    HANGUP = "hangup"
    LEAVE_MESSAGE = "leave_message"
    CONNECT = "connect"  # treat as human: hand to an agent anyway


class LeadStatus(StrEnum):
    NEW = "new"
    RETRY = "retry"  # an attempt failed and a retry is scheduled (next_call_at)
    CALLBACK = "callback"  # agent scheduled a callback (maybe for themself: callback_agent_id)
    DIALING = "dialing"  # claimed by a runner; an attempt is in flight
    DONE = "done"  # finished with a final disposition
    EXHAUSTED = "exhausted"  # retry rules allow no further attempt
    DNC = "dnc"
    INVALID = "invalid"  # not a dialable number


#: Statuses a runner may claim. The claim query and the partial index share it.
DIALABLE_LEAD_STATUSES: tuple[LeadStatus, ...] = (LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK)


class AttemptOutcome(StrEnum):
    """How one dial ended; retry rules are keyed by this."""

    HUMAN = "human"  # answered by a person and connected to an agent
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    REJECTED = "rejected"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"  # the PBX could not place the call
    ABANDONED = "abandoned"  # live answer, no agent in time: heard the abandon message
    CANCELLED = "cancelled"  # we hung up before answer (campaign paused, pacing)
    LOST = "lost"  # the runner died; outcome unknown (see leads.release_stale_claims)


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class LegKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    LOCAL = "local"
    OTHER = "other"


class CommandStatus(StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    DONE = "done"
    FAILED = "failed"
