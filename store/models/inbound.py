"""Inbound routes: a DID a trunk delivers, answered by a queue (the hotline), one seat or an IVR menu."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import InboundTarget, MaxWait
from store.models.base import Base, CreatedAt
from store.models.campaigns import Campaign
from store.models.survey import SurveySettings
from store.models.trunks import Trunk
from store.types import BigId, JsonType, StrEnumType, UtcDateTime


class InboundRoute(SurveySettings, CreatedAt, Base):
    """One DID and who answers it; the route's id is the id of its queue on every node of its trunk.

    ``target`` QUEUE: the ``hotline_agent_ids`` (seats that log in for the queue only) answer
    first, longest idle; after ``overflow_after_s`` (or at once with none free) the
    ``overflow_agent_ids`` (designated outbound agents) are taken from their campaigns.
    ``target`` SEAT: the one agent in ``hotline_agent_ids``, no overflow.
    ``target`` IVR: the menu ``ivr_id`` answers in the PBX's dialplan (``IvrMenu``).
    ``hours``: business hours as campaigns keep calling hours (``{"mon": [["09:00", "18:00"]]}``,
    ``{}`` always open) in ``timezone``; a caller outside them hears the closed message.
    ``on_max_wait``: where a caller goes after ``max_wait_s``: voicemail (a recorded message) or a
    callback request; both are listed for a follow-up (``Call.followed_up_at``).
    ``announce_every_s``: a waiting caller hears their place in the queue this often, over the hold
    music (0: never); with ``announce_wait`` also an estimated wait in minutes (when the queue has
    a basis for one: ``orchestrator.inbound.estimate``).
    ``campaign_id``: the campaign whose dispositions, script, order form and callbacks an answered call
    takes, as an outbound call of it would (``store.inbound.call_attempt``); none: no disposition.
    """

    __tablename__ = "inbound_routes"
    survey_owner = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    did: Mapped[str] = mapped_column(String(32), unique=True)
    trunk_id: Mapped[int] = mapped_column(ForeignKey("trunks.id", ondelete="CASCADE"), index=True)
    target: Mapped[InboundTarget] = mapped_column(StrEnumType(InboundTarget), default=InboundTarget.QUEUE)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    hotline_agent_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    overflow_agent_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    overflow_after_s: Mapped[int] = mapped_column(default=10, server_default="10")
    max_wait_s: Mapped[int] = mapped_column(default=120, server_default="120")
    hours: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: ISO dates (YYYY-MM-DD, local to ``timezone``) the route is closed all day.
    holidays: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")
    record_calls: Mapped[bool] = mapped_column(default=True, server_default=true())
    on_max_wait: Mapped[MaxWait] = mapped_column(StrEnumType(MaxWait), default=MaxWait.VOICEMAIL,
                                                 server_default=MaxWait.VOICEMAIL.value)
    announce_every_s: Mapped[int] = mapped_column(default=0, server_default="0")
    announce_wait: Mapped[bool] = mapped_column(default=True, server_default=true())
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))

    ivr_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_menus.id", ondelete="RESTRICT"), index=True)

    trunk: Mapped[Trunk] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    ivr: Mapped[IvrMenu | None] = relationship()

    def __repr__(self) -> str:
        return f"InboundRoute(id={self.id!r}, did={self.did!r}, target={self.target!r})"


class IvrMenu(CreatedAt, Base):
    """An IVR menu designed in the admin, rendered into every node's dialplan (``dialplans/``).

    ``prompt``: the uploaded recording converted to 8 kHz mono 16-bit WAV, which both PBXes
    play (written beside the dialplan on provisioning; None: the stock "please choose" prompt).
    ``options``: key -> ``{"go": IvrAction, "to": route or menu id}`` (``to`` only for a route or
    a sub-menu). A caller who presses nothing for ``timeout_s`` or an unknown key hears the prompt
    again, ``retries`` times, then ``on_no_choice`` (an option's key: that option; "": goodbye).
    ``channel_limit``: callers at once in the IVR a route enters through this menu (its sub-menus
    included); one more hears the busy message and is counted in ``busy_count`` (the runner
    counts what the PBX reports, so the limit holds without it).
    """

    __tablename__ = "ivr_menus"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prompt: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    prompt_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    options: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    timeout_s: Mapped[int] = mapped_column(default=5, server_default="5")
    retries: Mapped[int] = mapped_column(default=2, server_default="2")
    on_no_choice: Mapped[str] = mapped_column(String(1), default="", server_default="")
    channel_limit: Mapped[int] = mapped_column(default=8, server_default="8")
    busy_count: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self) -> str:
        return f"IvrMenu(id={self.id!r}, name={self.name!r})"


class IvrEvent(Base):
    """One step of a caller's visit to an IVR menu (``orchestrator.inbound.ivr.MenuStep``), as the
    PBX reported it (a hang-up in the menu as the runner saw it): the use of each option per menu
    and period is counted from these rows (Reports, the IVR page).

    ``key``: the key pressed (a ``key`` or ``invalid`` step) or the fallback's (``none``);
    ``go``/``target``: what the key led to (``IvrAction``; the route's or sub-menu's id), kept as it
    was then: the menu may be edited later. A few rows per caller, under 100 callers a day for the
    reference customer; read by menu and period (the index).
    """

    __tablename__ = "ivr_events"
    __table_args__ = (Index("ix_ivr_events_menu_id_at", "menu_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    menu_id: Mapped[int] = mapped_column(ForeignKey("ivr_menus.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    step: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(1), default="", server_default="")
    go: Mapped[str] = mapped_column(String(8), default="", server_default="")
    target: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self) -> str:
        return f"IvrEvent(menu_id={self.menu_id!r}, step={self.step!r}, key={self.key!r})"
