"""Carrier SIP trunks: where customer calls go out and DIDs come in, on one or more nodes."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import SipTransport, T38Mode, TrunkAuth
from store.models.base import Base, CreatedAt
from store.models.people import PbxNode
from store.types import JsonType, StrEnumType

trunk_nodes = Table(
    "trunk_nodes",
    Base.metadata,
    Column("trunk_id", ForeignKey("trunks.id", ondelete="CASCADE"), primary_key=True),
    Column("node_id", ForeignKey("pbx_nodes.id", ondelete="CASCADE"), primary_key=True),
)


class Trunk(CreatedAt, Base):
    """One carrier account, rendered on each of its nodes (PJSIP endpoint, sofia gateway) by provisioning.

    ``managed`` is False for a trunk the PBX defines by hand (a campaign's trunk name from before
    trunks were managed here, the sandbox's own ``world``): campaigns may pick it, nothing is rendered.
    The secret is sealed as the seats' are (store.sealing; opened to render the PBX's config).
    ``channel_limit`` 0: no limit. ``caller_id`` set: every call presents it; empty: the
    campaign's passes through, with ``strip_prefix`` removed and ``add_prefix`` put in front.
    ``dids``: E.164 numbers it delivers. ``t38``: faxes over it go T.38 with that error correction
    when the far end takes it up (``off``: G.711 only); ``t38_max_datagram`` 0: the far end's.
    """

    __tablename__ = "trunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    managed: Mapped[bool] = mapped_column(default=True, server_default=true())
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    host: Mapped[str] = mapped_column(String(255), default="", server_default="")
    port: Mapped[int] = mapped_column(default=5060, server_default="5060")
    transport: Mapped[SipTransport] = mapped_column(StrEnumType(SipTransport), default=SipTransport.UDP,
                                                    server_default=SipTransport.UDP.value)
    auth: Mapped[TrunkAuth] = mapped_column(StrEnumType(TrunkAuth), default=TrunkAuth.IP,
                                            server_default=TrunkAuth.IP.value)
    username: Mapped[str] = mapped_column(String(64), default="", server_default="")
    secret: Mapped[str] = mapped_column(String(512), default="", server_default="")
    allowed_addresses: Mapped[list[str]] = mapped_column(JsonType, default=list)
    codecs: Mapped[list[str]] = mapped_column(JsonType, default=list)
    channel_limit: Mapped[int] = mapped_column(default=0, server_default="0")
    caller_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    strip_prefix: Mapped[str] = mapped_column(String(16), default="", server_default="")
    add_prefix: Mapped[str] = mapped_column(String(16), default="", server_default="")
    dids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    t38: Mapped[T38Mode] = mapped_column(StrEnumType(T38Mode), default=T38Mode.REDUNDANCY,
                                         server_default=T38Mode.REDUNDANCY.value)
    t38_max_datagram: Mapped[int] = mapped_column(default=400, server_default="400")

    nodes: Mapped[list[PbxNode]] = relationship(secondary=trunk_nodes)

    def __repr__(self) -> str:  # never show the secret
        return f"Trunk(id={self.id!r}, name={self.name!r}, host={self.host!r}, auth={self.auth!r})"
