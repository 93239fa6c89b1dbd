"""Quality assurance: sampling policies per team, the weekly samples, scorecard forms and scores.

A scorecard form is versioned: each version keeps its sections and items as one JSON document
(``orchestrator.quality.scorecard.to_json``), editable while a draft and frozen once published;
a score points at the version it was given on, so old scores keep their form. A sample and a
score keep the agent and team of the call at the time, as orders do, so an agent moving team
does not move their QA history.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orchestrator.quality.tickets import Escalation
from orchestrator.quality.tickets import State as TicketState
from store.enums import ScoreReply, TicketEventKind
from store.models.base import Base, CreatedAt
from store.models.calls import Call
from store.models.campaigns import Lead
from store.models.people import Agent, Team, User
from store.types import BigId, JsonType, StrEnumType, UtcDateTime


class Scorecard(CreatedAt, Base):
    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)

    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number")


class ScorecardVersion(CreatedAt, Base):
    """One version of a form: a draft (``published_at`` NULL) while edited, frozen once published."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    number: Mapped[int]
    form: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")


class QaPolicy(CreatedAt, Base):
    """How a team's calls are sampled (``orchestrator.quality.sampling.Policy``) and scored."""

    __tablename__ = "qa_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    per_agent: Mapped[int] = mapped_column(default=4)
    short_s: Mapped[int] = mapped_column(default=30)
    long_s: Mapped[int] = mapped_column(default=180)
    sale_above: Mapped[Decimal | None] = mapped_column(Numeric(13, 2))
    complaint_codes: Mapped[str] = mapped_column(String(255), default="COMPLAINT")
    due_days: Mapped[int] = mapped_column(default=3)
    scorecard_id: Mapped[int | None] = mapped_column(ForeignKey("scorecards.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()
    scorecard: Mapped[Scorecard | None] = relationship()


class QaSample(CreatedAt, Base):
    """One call in a team's weekly sample: the work list of the team leader or QA inspector."""

    __tablename__ = "qa_samples"
    __table_args__ = (UniqueConstraint("team_id", "week", "call_id"), Index("ix_qa_samples_week", "week"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # the Monday
    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # complaint, sale, random
    stratum: Mapped[str] = mapped_column(String(64), default="")
    due_on: Mapped[date] = mapped_column(Date)

    team: Mapped[Team] = relationship()
    call: Mapped[Call] = relationship()
    agent: Mapped[Agent | None] = relationship()


class QaScore(CreatedAt, Base):
    """One scorer's score of one call on one form version; several scorers of a call: calibration."""

    __tablename__ = "qa_scores"
    __table_args__ = (UniqueConstraint("call_id", "scorer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id", ondelete="RESTRICT"),
                                            index=True)
    call_id: Mapped[int] = mapped_column(BigId, ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    scorer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    item_notes: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    failed_critical: Mapped[bool] = mapped_column(default=False)
    reply: Mapped[ScoreReply] = mapped_column(StrEnumType(ScoreReply), default=ScoreReply.OPEN)
    reply_note: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    version: Mapped[ScorecardVersion] = relationship()
    call: Mapped[Call] = relationship()
    agent: Mapped[Agent | None] = relationship()
    scorer: Mapped[User | None] = relationship()


class Ticket(CreatedAt, Base):
    """A customer's complaint, moved along ``orchestrator.quality.tickets.PATH`` one step at a time."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_state_created_at", "state", "created_at"),
        # The complaint list, newest first (500 of them, whatever the filter), read from the top of the
        # index instead of sorting every ticket; and a customer's complaints on their history page.
        Index("ix_tickets_created_at_id", "created_at", "id"),
        Index("ix_tickets_phone_created_at", "phone", "created_at"),
        # The directors' "my escalations" and nav count: the few escalated tickets, not all of them.
        Index("ix_tickets_escalation", "escalation", postgresql_where=text("escalation IS NOT NULL"),
              sqlite_where=text("escalation IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="SET NULL"),
                                                index=True)
    # The team whose agent took the call (the scope of team leaders); None: no call, every-team readers only.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[TicketState] = mapped_column(StrEnumType(TicketState), default=TicketState.ANSWERED)
    # When it entered ``state`` (its last event's time): the step's SLA runs from here.
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Indexed: "assigned to me" (an agent's complaints, a team leader's own beside their teams').
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    department: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Overdue on its current step: told whom (``orchestrator.quality.tickets.Escalation``), and the team
    # leader told (None: nobody leads it; DIRECTOR is every director). Cleared when the step is taken.
    escalation: Mapped[Escalation | None] = mapped_column(StrEnumType(Escalation))
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                        index=True)
    # The return visit: the callback lead the assignee's preview dialing places (``web.quality.visits``).
    visit_lead_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("leads.id", ondelete="SET NULL"),
                                                      index=True)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    escalated_to: Mapped[User | None] = relationship(foreign_keys=[escalated_to_id])
    visit_lead: Mapped[Lead | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")


class TicketEvent(Base):
    """One thing that happened to a ticket: a step into a state, an escalation, a return visit booked;
    by whom (nobody: the scheduler), when, with what note, and the call it was (the return visit's)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    state: Mapped[TicketState] = mapped_column(StrEnumType(TicketState))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[TicketEventKind] = mapped_column(StrEnumType(TicketEventKind), default=TicketEventKind.STEP,
                                                  server_default=TicketEventKind.STEP.value)
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="SET NULL"))

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()
