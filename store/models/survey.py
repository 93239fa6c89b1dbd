"""The post-call satisfaction survey: its settings (a campaign's, an inbound route's) and the answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base
from store.types import BigId, UtcDateTime

if TYPE_CHECKING:  # the campaign and route models take the settings mixin from here
    from store.models.calls import Call
    from store.models.people import Agent


class SurveySettings:
    """The survey a campaign or an inbound route asks after the agent ends a call.

    ``survey_sound``: the question's prompt as the PBX names a sound ("": the route's own, "press
    1 2 3 4 5"); ``survey_second_sound``: a second question's ("": none); a first answer below
    ``survey_low_below`` opens a complaint ticket.

    ``survey_prompt`` / ``survey_second_prompt``: a recording uploaded for the question (the second
    question), converted to 8 kHz mono 16-bit WAV and written to every node's prompts directory
    (``provisioning.prompts``); it is played instead of the sound named above. Its ``_name`` is the
    file name it was uploaded as, "" exactly when there is none (the runner asks that, not the bytes).
    ``survey_owner`` names the row's kind in the prompt's file name (``survey.prompt_name``).
    """

    survey_owner: ClassVar[str]

    survey_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    survey_sound: Mapped[str] = mapped_column(String(255), default="", server_default="")
    survey_second_sound: Mapped[str] = mapped_column(String(255), default="", server_default="")
    survey_low_below: Mapped[int] = mapped_column(default=3, server_default="3")
    survey_prompt: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    survey_prompt_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    survey_second_prompt: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    survey_second_prompt_name: Mapped[str] = mapped_column(String(128), default="", server_default="")


class SurveyAnswer(Base):
    """One customer sent to the survey after a call (``offered_at``), and their keys once answered.

    The call and its agent as the call log has them; the agent's team at the time, so a team's
    figures do not move when the agent changes team; the campaign or inbound route that asked.
    """

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    pbx_call_id: Mapped[str] = mapped_column(String(64), default="")
    channel_id: Mapped[str] = mapped_column(String(64), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"),
                                                    index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_routes.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    second: Mapped[int | None] = mapped_column(SmallInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="SET NULL"))

    call: Mapped[Call | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
