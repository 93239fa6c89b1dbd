"""What to call and how: campaigns, their rules, lists, leads, dispositions, DNC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from store.enums import (
    DIALABLE_LEAD_STATUSES,
    CampaignMode,
    CampaignState,
    ComplianceProfile,
    LeadStatus,
    MachineAction,
    Outcome,
)
from store.models.base import Base, CreatedAt
from store.models.people import Agent, Team
from store.models.survey import SurveySettings
from store.models.trunks import Trunk
from store.types import BigId, JsonType, StrEnumType, UtcDateTime, utcnow

campaign_teams = Table(
    "campaign_teams",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(SurveySettings, CreatedAt, Base):
    """Everything a runner needs to dial for one campaign.

    ``abandon_cap`` and ``abandon_window_s`` come from the compliance profile
    (e.g. 3 % over 24 h or 30 days) but are stored so an operator can be
    stricter. ``calling_hours`` is ``{"mon": [["09:00", "20:00"]], ...}`` in the
    lead's local time; ``schedule`` is what the scheduler applies to
    ``desired_state``.
    """

    __tablename__ = "campaigns"
    survey_owner = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    mode: Mapped[CampaignMode] = mapped_column(StrEnumType(CampaignMode))
    desired_state: Mapped[CampaignState] = mapped_column(
        StrEnumType(CampaignState), default=CampaignState.STOPPED, server_default=CampaignState.STOPPED.value
    )
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Why a runner paused the campaign (settings every call fails on); cleared when it is started again.
    paused_reason: Mapped[str] = mapped_column(String(255), default="", server_default="")

    compliance_profile: Mapped[ComplianceProfile] = mapped_column(StrEnumType(ComplianceProfile))
    abandon_cap: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.03"))
    abandon_window_s: Mapped[int] = mapped_column(default=24 * 3600)
    calling_hours: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    schedule: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    max_attempts: Mapped[int] = mapped_column(default=5)
    abandon_no_recall_s: Mapped[int] = mapped_column(default=72 * 3600)

    trunk: Mapped[str] = mapped_column(
        String(64), default=""
    )  # the name of a Trunk (the form picks one); "" = node default
    caller_id: Mapped[str] = mapped_column(String(32), default="")
    ring_timeout_s: Mapped[int] = mapped_column(default=25)
    wrap_up_s: Mapped[int] = mapped_column(default=30)
    max_lines: Mapped[int] = mapped_column(default=100)  # concurrent customer lines per node
    record_calls: Mapped[bool] = mapped_column(default=True)
    amd_enabled: Mapped[bool] = mapped_column(default=True)
    amd_action: Mapped[MachineAction] = mapped_column(
        StrEnumType(MachineAction), default=MachineAction.HANGUP
    )
    amd_false_positive_rate: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0"))
    machine_message_file: Mapped[str | None] = mapped_column(String(255))
    abandon_message_text: Mapped[str] = mapped_column(Text, default="")
    abandon_message_file: Mapped[str | None] = mapped_column(String(255))
    script: Mapped[str] = mapped_column(Text, default="")

    # Stored values only (an earlier form set it, nothing reads it): the inbound work will route on it.
    inbound_number: Mapped[str | None] = mapped_column(String(32), index=True)
    ivr: Mapped[dict[str, Any] | None] = mapped_column(JsonType)

    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    lists: Mapped[list[LeadList]] = relationship(back_populates="campaign")
    retry_rules: Mapped[list[RetryRule]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    dispositions: Mapped[list[Disposition]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="Disposition.sort_order"
    )
    teams: Mapped[list[Team]] = relationship(secondary=campaign_teams)
    #: The trunk named ``trunk`` (None: the node's default, or a name no trunk row holds).
    trunk_row: Mapped[Trunk | None] = relationship(
        primaryjoin="foreign(Campaign.trunk) == Trunk.name", viewonly=True, uselist=False)


class RetryRule(Base):
    """After an attempt with ``outcome``: wait ``delay_s``; optionally stop after ``max_attempts`` of them.

    Outcomes without a rule use the core's defaults (``orchestrator.leads.rules``).
    """

    __tablename__ = "retry_rules"
    __table_args__ = (UniqueConstraint("campaign_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome))
    delay_s: Mapped[int]
    max_attempts: Mapped[int | None]

    campaign: Mapped[Campaign] = relationship(back_populates="retry_rules")


class Disposition(Base):
    """What an agent can record at the end of a call, per campaign."""

    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(128))
    is_sale: Mapped[bool] = mapped_column(default=False)
    asks_amount: Mapped[bool] = mapped_column(default=False)
    schedules_callback: Mapped[bool] = mapped_column(default=False)
    is_final: Mapped[bool] = mapped_column(default=True)  # the lead is done after it
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # An SMS to the lead when an agent saves this disposition (merge fields from the lead); "": none.
    sms_template: Mapped[str] = mapped_column(Text, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="dispositions")


class LeadList(CreatedAt, Base):
    """An imported file of leads, assigned to (at most) one campaign (its teams work it).

    Reassigning a list must also rewrite ``leads.campaign_id``: use
    ``store.leads.assign_list``.
    """

    __tablename__ = "lead_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(255), default="")
    # An import fills a list that is not yet active in short transactions, then
    # activates it in one: ``importing`` marks such a list (no dialer sees it).
    importing: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The upload it came from (content hash + target): one upload imports once.
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Bought data (``store.models.leaddata``): the batch the records came from, who holds them
    # (a team, an agent of it), the sample test's list, and when its records were wiped.
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    is_sample: Mapped[bool] = mapped_column(default=False, server_default=false())
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    campaign: Mapped[Campaign | None] = relationship(back_populates="lists")
    leads: Mapped[list[Lead]] = relationship(back_populates="list", passive_deletes=True)
    team: Mapped[Team | None] = relationship()
    agent: Mapped[Agent | None] = relationship()


_DIALABLE_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in DIALABLE_LEAD_STATUSES))
#: The rows of ``ix_leads_claim``. A bought batch's records wait in no campaign (``campaign_id`` NULL:
#: a million of them, not claimable) until handed out: left out of the claim index and of
#: ``ix_leads_campaign_id_status``, a hand-out that moves them to a team writes two index entries less
#: per record, and the claim index holds only what some campaign may dial.
_CLAIMABLE_SQL = f"{_DIALABLE_SQL} AND callback_agent_id IS NULL AND campaign_id IS NOT NULL"


class Lead(CreatedAt, Base):
    """One contact to call.

    ``campaign_id`` is copied from the lead's list so that the claim query is a
    single ordered walk of one partial index (``ix_leads_claim``) instead of a
    sort over every lead of every list of the campaign. ``next_call_at`` is
    never NULL: a new lead is due from its import time, so "due" is one range
    condition and the order is simply "oldest due first" within a priority.
    """

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("list_id", "phone"),
        Index(
            "ix_leads_claim",
            "campaign_id",
            "priority",
            "next_call_at",
            "id",
            postgresql_where=text(_CLAIMABLE_SQL),
            sqlite_where=text(_CLAIMABLE_SQL),
        ),
        Index(
            "ix_leads_agent_callbacks",
            "callback_agent_id",
            "next_call_at",
            postgresql_where=text(f"status = '{LeadStatus.CALLBACK}' AND callback_agent_id IS NOT NULL"),
            sqlite_where=text(f"status = '{LeadStatus.CALLBACK}' AND callback_agent_id IS NOT NULL"),
        ),
        Index(
            "ix_leads_dialing",
            "claimed_at",
            postgresql_where=text(f"status = '{LeadStatus.DIALING}'"),
            sqlite_where=text(f"status = '{LeadStatus.DIALING}'"),
        ),
        Index(
            "ix_leads_campaign_id_status",
            "campaign_id",
            "status",
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
        # Only destroyed leads have a hash: the live million are left out, so moving them (a hand-out
        # rewrites every index of the row) does not also write a NULL entry here.
        Index(
            "ix_leads_phone_hash",
            "phone_hash",
            postgresql_where=text("phone_hash IS NOT NULL"),
            sqlite_where=text("phone_hash IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lead_lists.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(16), index=True)  # E.164, "+" and up to 15 digits
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA; NULL: derived from the number
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    external_ref: Mapped[str | None] = mapped_column(String(64))
    #: Set when the lead's personal data is destroyed (``phone`` then holds ``#<id>``): a keyed hash of
    #: the number, so it can be matched later (a vendor selling it again) but never read.
    phone_hash: Mapped[str | None] = mapped_column(String(64))

    status: Mapped[LeadStatus] = mapped_column(
        StrEnumType(LeadStatus), default=LeadStatus.NEW, server_default=LeadStatus.NEW.value
    )
    priority: Mapped[int] = mapped_column(default=5, server_default="5")  # 1 is dialed first, then 2 ...
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_call_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, server_default=func.now())
    last_abandon_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    no_recall_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last abandon + quiet period
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome))
    callback_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    disposition_id: Mapped[int | None] = mapped_column(ForeignKey("dispositions.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    list: Mapped[LeadList] = relationship(back_populates="leads")
    campaign: Mapped[Campaign | None] = relationship()
    callback_agent: Mapped[Agent | None] = relationship()
    disposition: Mapped[Disposition | None] = relationship()

    def __repr__(self) -> str:
        return f"Lead(id={self.id!r}, phone={self.phone!r}, status={self.status!r})"


@event.listens_for(Lead, "before_insert")
def _campaign_from_list(_mapper: Mapper[Lead], connection: Connection, lead: Lead) -> None:
    """Keep the denormalised ``campaign_id`` right for leads added through the ORM."""
    if lead.campaign_id is not None:
        return
    lead_list = lead.__dict__.get("list")  # already loaded: no lazy load inside a flush
    if lead_list is not None:
        lead.campaign_id = lead_list.campaign_id
    else:
        lead.campaign_id = connection.scalar(select(LeadList.campaign_id).where(LeadList.id == lead.list_id))


class DncEntry(CreatedAt, Base):
    """Do-not-call: a number never to dial, globally (``campaign_id`` NULL) or for one campaign."""

    __tablename__ = "dnc_entries"
    __table_args__ = (
        UniqueConstraint("phone", "campaign_id"),
        # NULLs are distinct in a unique constraint: one global entry per number needs its own index.
        Index(
            "uq_dnc_entries_global_phone",
            "phone",
            unique=True,
            postgresql_where=text("campaign_id IS NULL"),
            sqlite_where=text("campaign_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(32), default="manual")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
