"""Who and where: PBX nodes, SIP seats, users, teams and agents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import AgentState, PbxKind, UserRole
from store.models.base import Base, CreatedAt
from store.types import StrEnumType, UtcDateTime

if TYPE_CHECKING:  # trunks.py imports this module
    from store.models.trunks import Trunk


class PbxNode(CreatedAt, Base):
    """One Asterisk (AMI) or FreeSWITCH (ESL) server, owned by one runner."""

    __tablename__ = "pbx_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[PbxKind] = mapped_column(StrEnumType(PbxKind))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    username: Mapped[str] = mapped_column(String(64), default="")
    # Sealed (``store.sealing``): the AMI secret or ESL password, encrypted with the instance's key.
    secret: Mapped[str] = mapped_column(String(512), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Where this node's recordings can be read from the web's host (the PBX's
    # monitor directory, or its mount); empty: the ``recordings_dir`` setting.
    recordings_dir: Mapped[str] = mapped_column(String(512), default="", server_default="")
    # Two runners for this node, one active and one standby, sharing a lease (``runner_leases``;
    # PostgreSQL only). Off: one runner, no lease, and it rides out database outages of any length.
    standby: Mapped[bool] = mapped_column(default=False, server_default=false())

    seats: Mapped[list[Seat]] = relationship(back_populates="node")

    def __repr__(self) -> str:  # never show the secret
        return f"PbxNode(id={self.id!r}, name={self.name!r}, kind={self.kind!r}, host={self.host!r})"


class RunnerLease(Base):
    """Which runner process acts for a node that has a standby (``PbxNode.standby``).

    ``token`` grows by one at every takeover (the fencing token): a runner's writes that matter
    check it is still theirs. ``expires_at`` is the database's clock, so hosts' clocks never matter.
    """

    __tablename__ = "runner_leases"

    node_id: Mapped[int] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    token: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class User(CreatedAt, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(StrEnumType(UserRole))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Part of every session cookie; bumping it (log-out, password or role change, deactivation)
    # makes all cookies issued before worthless, wherever they were copied to.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The language the user chose for the web pages (a ``web.i18n.LANGUAGES`` key); None: their browser's.
    language: Mapped[str | None] = mapped_column(String(16))

    agent: Mapped[Agent | None] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class Team(CreatedAt, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Records handed out to an agent of the team are dialed for that agent only in preview and
    #: progressive campaigns; in predictive ones (where a call goes to whoever is free) they are
    #: dialed only if the team chose to pool them, else they wait for their owner's own work.
    pool_owned_for_predictive: Mapped[bool] = mapped_column(default=False, server_default=false())

    leader: Mapped[User | None] = relationship()
    agents: Mapped[list[Agent]] = relationship(back_populates="team")
    seats: Mapped[list[Seat]] = relationship(back_populates="team")


class Seat(CreatedAt, Base):
    """A SIP endpoint provisioned on one node (extension + credentials), or a remote seat.

    A remote seat (``remote_number`` set) is an outside phone, the agent's mobile or home line,
    dialed through ``trunk`` (a trunk of the seat's node) when its agent logs in; it is held open
    like a SIP seat's leg. It has no SIP credentials in use and is not rendered as an endpoint.
    ``confirm_answer`` ("press 1 to accept", remote seats only): the leg counts as up once the
    phone pressed 1, so a voicemail answering the agent's mobile never makes them ready.
    """

    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("node_id", "extension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="RESTRICT"), index=True)
    extension: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), default="")
    secret: Mapped[str] = mapped_column(String(512))  # sealed SIP password (``store.sealing``)
    enabled: Mapped[bool] = mapped_column(default=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    # E.164 ('+' and digits, as leads' numbers are); empty: a SIP seat.
    remote_number: Mapped[str] = mapped_column(String(32), default="", server_default="")
    trunk_id: Mapped[int | None] = mapped_column(ForeignKey("trunks.id", ondelete="RESTRICT"), index=True)
    confirm_answer: Mapped[bool] = mapped_column(default=True, server_default=true())

    node: Mapped[PbxNode] = relationship(back_populates="seats")
    team: Mapped[Team | None] = relationship(back_populates="seats")
    trunk: Mapped[Trunk | None] = relationship()

    @property
    def remote(self) -> bool:
        return bool(self.remote_number)

    def __repr__(self) -> str:
        return f"Seat(id={self.id!r}, node_id={self.node_id!r}, extension={self.extension!r})"


class Agent(CreatedAt, Base):
    """A person who takes calls: a user, in a team, usually at a seat.

    ``state``/``state_reason``/``state_since`` mirror the last row of the agent
    state log so the wallboard and the agent's panel need no aggregate query
    (the reason says why a paused agent is paused, e.g. their phone is not
    connected).
    """

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"), index=True)
    state: Mapped[AgentState] = mapped_column(StrEnumType(AgentState), default=AgentState.LOGGED_OUT)
    state_reason: Mapped[str] = mapped_column(String(64), default="", server_default="")
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(back_populates="agent")
    team: Mapped[Team | None] = relationship(back_populates="agents")
    seat: Mapped[Seat | None] = relationship()
