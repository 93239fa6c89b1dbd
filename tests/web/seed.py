"""Rows the runner would write (attempts, calls, recordings, agent states), for web tests."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.enums import AgentState, CallDirection, CampaignMode, CampaignState, Outcome
from store.models import (
    Agent,
    AgentStateLog,
    Attempt,
    Call,
    Campaign,
    Disposition,
    InboundRoute,
    Lead,
    LeadList,
    Order,
    PbxNode,
    Recording,
    Seat,
    Team,
    Trunk,
    User,
)
from web.db import sealer


def campaign(session: Session, name: str = "C1", mode: CampaignMode = CampaignMode.PREDICTIVE) -> Campaign:
    c = Campaign(name=name, mode=mode, compliance_profile="us", script="Say hello")
    c.dispositions = [
        Disposition(code="SALE", label="Sale", is_sale=True, asks_amount=True, sort_order=0),
        Disposition(code="CB", label="Call back", schedules_callback=True, is_final=False, sort_order=1),
        Disposition(code="NO", label="Not interested", sort_order=2),
    ]
    session.add(c)
    session.flush()
    return c


def leads(session: Session, c: Campaign, phones: list[str]) -> list[Lead]:
    lst = LeadList(name=f"{c.name} list", campaign_id=c.id)
    session.add(lst)
    session.flush()
    out = [Lead(list_id=lst.id, campaign_id=c.id, phone=p, fields={"name": f"Cust {p[-4:]}"}) for p in phones]
    session.add_all(out)
    session.flush()
    return out


def agent(session: Session, username: str = "agent1", team: str | None = "Team 1") -> Agent:
    a = session.scalars(select(Agent).join(Agent.user).where(User.username == username)).one()
    if team:
        t = session.scalar(select(Team).where(Team.name == team)) or Team(name=team)
        a.team = t
    node = session.scalar(select(PbxNode)) or PbxNode(name="pbx", kind="asterisk", host="127.0.0.1", port=1)
    seat = Seat(node=node, extension=f"80{a.id:02d}", secret=sealer().seal("seatsecret123"))
    session.add(seat)
    session.flush()
    return a


def attempt(
    session: Session,
    lead: Lead,
    *,
    agent: Agent | None,
    start: datetime,
    outcome: Outcome | None,
    talk_s: int = 0,
    ended: bool = True,
    disposition: str | None = None,
    amount: str | None = None,
    recording: str | None = None,
) -> Attempt:
    answered = start + timedelta(seconds=5) if outcome in (Outcome.CONNECTED, Outcome.ABANDONED) else None
    bridged = answered + timedelta(seconds=1) if answered and agent and outcome is Outcome.CONNECTED else None
    end = (bridged or answered or start) + timedelta(seconds=talk_s or 20) if ended else None
    disp = None
    if disposition:
        disp = session.scalar(
            select(Disposition).where(
                Disposition.campaign_id == lead.campaign_id, Disposition.code == disposition
            )
        )
    a = Attempt(
        lead_id=lead.id,
        campaign_id=lead.campaign_id,
        agent_id=agent.id if agent else None,
        phone=lead.phone,
        created_at=start,
        originated_at=start,
        answered_at=answered,
        bridged_at=bridged,
        ended_at=end,
        outcome=outcome,
        abandoned=outcome is Outcome.ABANDONED,
        disposition_id=disp.id if disp else None,
    )
    session.add(a)
    session.flush()
    if amount:  # what the agent's order line would be (no product: the reports need only the money)
        session.add(Order(attempt_id=a.id, agent_id=a.agent_id, team_id=agent.team_id if agent else None,
                          campaign_id=a.campaign_id, amount=Decimal(amount), sold_at=end or start))
    call = Call(
        attempt_id=a.id,
        campaign_id=lead.campaign_id,
        direction=CallDirection.OUTBOUND,
        caller="+15550001111",
        callee=lead.phone,
        started_at=start,
        answered_at=answered,
        ended_at=end,
    )
    session.add(call)
    session.flush()
    if recording:
        session.add(Recording(call_id=call.id, attempt_id=a.id, path=recording,
                              started_at=bridged or answered or start, ended_at=end))
    return a


def on_call(session: Session, phone: str, campaign_name: str = "Outbound") -> Attempt:
    """agent1 at their seat, talking to ``phone`` on a running campaign (bridged, not ended, not disposed)."""
    now = datetime.now(UTC)
    a = agent(session)
    a.seat = session.scalars(select(Seat)).one()
    c = campaign(session, campaign_name)
    c.desired_state = CampaignState.RUNNING
    (lead,) = leads(session, c, [phone])
    on = attempt(session, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED,
                 ended=False)
    a.state, a.state_since = AgentState.ON_CALL, now
    return on


def state(session: Session, a: Agent, st: AgentState, since: datetime, campaign: Campaign | None = None,
          reason: str = "") -> None:
    """As the runner's writer (``runner.fact_writers.agents``): the agent's row, and its state log's open
    row closed and a new one opened, on ``campaign`` (default: the campaign the agent was on)."""
    session.flush()
    current = session.scalar(select(AgentStateLog).where(AgentStateLog.agent_id == a.id,
                                                         AgentStateLog.ended_at.is_(None)))
    if current is not None:
        current.ended_at = since
    on = campaign.id if campaign is not None else (current.campaign_id if current else None)
    if st is not AgentState.LOGGED_OUT:
        session.add(AgentStateLog(agent_id=a.id, state=st, reason=reason, campaign_id=on, started_at=since))
    a.state, a.state_reason, a.state_since = st, reason, since


def wav(path: Path, frames: int = 800) -> Path:
    """A short valid recording file (mono 8 kHz), where the runner's PBX would have written it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x02" * frames)
    return path


def hotline(session: Session, did: str = "14005550400") -> InboundRoute:
    """An inbound route "400 hotline" for ``did``, delivered by a carrier's trunk (not rendered)."""
    trunk = Trunk(name="carrier", managed=False, dids=[did])
    session.add(trunk)
    session.flush()
    route = InboundRoute(name="400 hotline", did=did, trunk_id=trunk.id)
    session.add(route)
    session.flush()
    return route
