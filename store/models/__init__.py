"""The schema as typed SQLAlchemy 2.0 models (no Flask, no PBX library).

Import models from here; the submodules only group them by subject.
"""

from store.models.base import NAMING_CONVENTION, Base
from store.models.calls import Attempt, Call, CallTransfer, Recording
from store.models.campaigns import (
    Campaign,
    Disposition,
    DncEntry,
    Lead,
    LeadList,
    RetryRule,
    campaign_teams,
)
from store.models.compliance import AbandonBucket, PacingNote
from store.models.fax import FaxIn, FaxOut
from store.models.inbound import InboundRoute, IvrEvent, IvrMenu
from store.models.journal import AgentStateLog, AuditLog, DeskRequest
from store.models.knowledge import KbArticle, KbArticleVersion, KbFeedback
from store.models.leaddata import DestructionCertificate, Handout, Purchase, Vendor
from store.models.messaging import SmsBroadcast, SmsMessage
from store.models.monitoring import MonitorSession
from store.models.people import Agent, PbxNode, RunnerLease, Seat, Team, User
from store.models.quality import (
    QaPolicy,
    QaSample,
    QaScore,
    Scorecard,
    ScorecardVersion,
    Ticket,
    TicketEvent,
)
from store.models.sales import CommissionRule, Order, OrderRefund, Product
from store.models.survey import SurveyAnswer
from store.models.trunks import Trunk, trunk_nodes

__all__ = [
    "NAMING_CONVENTION",
    "AbandonBucket",
    "Agent",
    "AgentStateLog",
    "Attempt",
    "AuditLog",
    "Base",
    "Call",
    "CallTransfer",
    "Campaign",
    "CommissionRule",
    "DeskRequest",
    "DestructionCertificate",
    "Disposition",
    "DncEntry",
    "FaxIn",
    "FaxOut",
    "Handout",
    "InboundRoute",
    "IvrEvent",
    "IvrMenu",
    "KbArticle",
    "KbArticleVersion",
    "KbFeedback",
    "Lead",
    "LeadList",
    "MonitorSession",
    "Order",
    "OrderRefund",
    "PacingNote",
    "PbxNode",
    "Product",
    "Purchase",
    "QaPolicy",
    "QaSample",
    "QaScore",
    "Recording",
    "RetryRule",
    "RunnerLease",
    "Scorecard",
    "ScorecardVersion",
    "Seat",
    "SmsBroadcast",
    "SmsMessage",
    "SurveyAnswer",
    "Team",
    "Ticket",
    "TicketEvent",
    "Trunk",
    "User",
    "Vendor",
    "campaign_teams",
    "trunk_nodes",
]
