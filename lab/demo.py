"""Demo and test data: a PBX node, agents on seats, an outbound campaign with leads.

``switchboard run`` seeds a demo campaign with it (SQLite, the local sandbox);
the campaign integration tests build their campaigns with the same functions,
so what the demo shows is what the tests check.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from store import desk_queue
from store import models as m
from store.enums import (
    CampaignMode,
    CampaignState,
    ComplianceProfile,
    DeskCommand,
    MachineAction,
    PbxKind,
    UserRole,
)
from store.sealing import Sealer
from web.leads.importer import Normalised, normalise

#: The region a demo number without a country code is read in (the importer's default region).
DEMO_REGION = "US"


@dataclass(frozen=True)
class NodeSpec:
    name: str
    host: str
    port: int
    username: str
    secret: str
    recordings_dir: str = ""  # where the web host reads the node's recordings ("": the setting)
    kind: PbxKind = PbxKind.ASTERISK


def ensure_node(session: Session, sealer: Sealer, spec: NodeSpec) -> m.PbxNode:
    """The node named ``spec.name``, created or updated (the sandbox secret may change), its secret sealed."""
    node = session.scalar(select(m.PbxNode).where(m.PbxNode.name == spec.name))
    if node is None:
        node = m.PbxNode(name=spec.name, kind=spec.kind, host=spec.host, port=spec.port)
        session.add(node)
    node.host, node.port, node.username, node.secret, node.enabled = (
        spec.host, spec.port, spec.username, sealer.seal(spec.secret), True)
    if spec.recordings_dir:
        node.recordings_dir = spec.recordings_dir
    session.flush()
    return node


def ensure_seats(session: Session, sealer: Sealer, node: m.PbxNode,
                 seats: Sequence[tuple[str, str]]) -> list[m.Seat]:
    """The node's seats ``(extension, secret)``, created, or given that secret (the phones hold it)."""
    out = []
    for extension, secret in seats:
        seat = session.scalar(select(m.Seat).where(m.Seat.node_id == node.id, m.Seat.extension == extension))
        if seat is None:
            seat = m.Seat(node_id=node.id, extension=extension, name=extension)
            session.add(seat)
        seat.secret = sealer.seal(secret)
        out.append(seat)
    session.flush()
    return out


def ensure_agents(session: Session, sealer: Sealer, node: m.PbxNode, seats: Sequence[tuple[str, str]],
                  password: str | None = None) -> list[m.Agent]:
    """One agent user per seat (``extension``, ``secret``), named like the seat, sitting at it.

    New users get ``password``; None gives each a random one nobody knows (labs that never log in
    through the web). No default anyone could guess: a demo box is reachable too.
    """
    agents = []
    for seat in ensure_seats(session, sealer, node, seats):
        seat.enabled = True
        extension = seat.extension
        user = session.scalar(select(m.User).where(m.User.username == extension))
        if user is None:
            user = m.User(username=extension,
                          password_hash=generate_password_hash(password or secrets.token_urlsafe(24)),
                          role=UserRole.AGENT, display_name=f"Agent {extension}")
            session.add(user)
            session.flush()
        agent = session.scalar(select(m.Agent).where(m.Agent.user_id == user.id))
        if agent is None:
            agent = m.Agent(user_id=user.id)
            session.add(agent)
        session.flush()
        agent.seat_id = seat.id
        agents.append(agent)
    session.flush()
    return agents


def create_campaign(session: Session, name: str, mode: CampaignMode, numbers: Iterable[str], *,
                    state: CampaignState = CampaignState.RUNNING, **settings: object) -> m.Campaign:
    """A campaign with one active list of ``numbers`` (any calling hours unless given)."""
    values: dict[str, object] = dict(compliance_profile=ComplianceProfile.US, calling_hours={},
                                     wrap_up_s=2, ring_timeout_s=20, amd_action=MachineAction.HANGUP)
    values.update(settings)
    campaign = m.Campaign(name=name, mode=mode, desired_state=state, **values)
    session.add(campaign)
    session.flush()
    lead_list = m.LeadList(name=f"{name} list", campaign_id=campaign.id)
    session.add(lead_list)
    session.flush()
    add_leads(session, campaign, lead_list, numbers)
    session.add(m.Disposition(campaign_id=campaign.id, code="done", label="Done"))
    session.flush()
    return campaign


def add_leads(session: Session, campaign: m.Campaign, lead_list: m.LeadList, numbers: Iterable[str]) -> None:
    """Leads for ``numbers``, each with its number's time zone as an import gives it (the agent panel
    shows it; calling hours are checked in it). A number the importer would refuse keeps none."""
    for number in numbers:
        checked = normalise(number, DEMO_REGION)
        zone = checked.timezone if isinstance(checked, Normalised) else None
        session.add(m.Lead(list_id=lead_list.id, campaign_id=campaign.id, phone=number, timezone=zone))


def log_in(session: Session, node: m.PbxNode, campaign: m.Campaign, agents: Iterable[m.Agent]) -> None:
    """Queue ``agent_login`` commands for the node's runner, as the agent panel does."""
    for agent in agents:
        desk_queue.enqueue(session, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=node.id,
                                                  campaign_id=campaign.id, agent_id=agent.id))
