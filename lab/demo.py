"""Demo and test data: a PBX node, agents on seats, an outbound campaign with leads.

``switchboard run`` seeds a demo campaign with it (SQLite, the local sandbox);
the campaign integration tests build their campaigns with the same functions,
so what the demo shows is what the tests check.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from orchestrator.quality import scorecard as sc
from orchestrator.quality.sampling import week_of
from store import desk_queue
from store import knowledge as kb
from store import models as m
from store.enums import (
    CampaignMode,
    CampaignState,
    ComplianceProfile,
    DeskCommand,
    MachineAction,
    PbxKind,
    PurchaseState,
    UserRole,
)
from store.sealing import Sealer
from store.tickets import new_ticket
from store.types import utcnow
from web.leaddata import destruction, handout, purchases
from web.leaddata.destruction import Wiper
from web.leads.importer import Normalised, normalise
from web.quality.services import candidates, draw_sample

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
    through the web). No default anyone could guess: a demo box is reachable too. A shared
    ``password`` is hashed once for all of them (a hash costs ~0.2 s; every live test makes agents).
    """
    agents = []
    shared: str | None = None
    for seat in ensure_seats(session, sealer, node, seats):
        seat.enabled = True
        extension = seat.extension
        user = session.scalar(select(m.User).where(m.User.username == extension))
        if user is None:
            if password is None:
                password_hash = generate_password_hash(secrets.token_urlsafe(24))
            else:
                shared = password_hash = shared or generate_password_hash(password)
            user = m.User(username=extension, password_hash=password_hash,
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


def add_leads(session: Session, campaign: m.Campaign | None, lead_list: m.LeadList, numbers: Iterable[str],
              ) -> None:
    """Leads for ``numbers``, each with its number's time zone as an import gives it (the agent panel
    shows it; calling hours are checked in it). A number the importer would refuse keeps none.
    ``campaign`` None: a bought batch's list, in no campaign yet."""
    for number in numbers:
        checked = normalise(number, DEMO_REGION)
        zone = checked.timezone if isinstance(checked, Normalised) else None
        session.add(m.Lead(list_id=lead_list.id, campaign_id=campaign.id if campaign else None, phone=number,
                           timezone=zone))


def log_in(session: Session, node: m.PbxNode, campaign: m.Campaign | None, agents: Iterable[m.Agent]) -> None:
    """Queue ``agent_login`` commands for the node's runner, as the agent panel does (no campaign: a
    hotline seat logging in for its queue only)."""
    for agent in agents:
        desk_queue.enqueue(session, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=node.id,
                                                  campaign_id=campaign.id if campaign else None,
                                                  agent_id=agent.id))


def ensure_hotline(session: Session, sealer: Sealer, node: m.PbxNode, did: str, seat: tuple[str, str],
                   overflow: Sequence[m.Agent], password: str | None = None, *,
                   trunk_name: str = "world") -> m.InboundRoute | None:
    """The node's hotline on ``did``, seeded once: the carrier's trunk (the sandbox's own, which the
    PBX defines by hand: nothing is rendered) delivers ``did`` on the node, and a queue route sends
    its callers to an agent at ``seat`` (``ensure_agents``), logged in for the queue only,
    overflowing to ``overflow`` after 10 s. Returns the new route, or None when the trunk already
    delivered ``did`` (seeded before: a supervisor's changes, a deleted route included, stay)."""
    trunk = session.scalar(select(m.Trunk).where(m.Trunk.name == trunk_name))
    if trunk is None:
        trunk = m.Trunk(name=trunk_name, managed=False, dids=[], nodes=[])
        session.add(trunk)
    if node not in trunk.nodes:
        trunk.nodes.append(node)
    if did in trunk.dids:
        return None
    trunk.dids = [*trunk.dids, did]
    [agent] = ensure_agents(session, sealer, node, [seat], password)
    route = m.InboundRoute(name=f"Hotline {did} ({node.name})", did=did, trunk_id=trunk.id,
                           hotline_agent_ids=[agent.id], overflow_agent_ids=[a.id for a in overflow],
                           overflow_after_s=10)
    session.add(route)
    session.flush()
    log_in(session, node, None, [agent])
    return route


DEMO_SCORECARD = "Demo outbound call"
DEMO_FORM = sc.Form((
    sc.Section("Opening", (
        sc.Item("i1", "Greets the customer by name", Decimal(10)),
        sc.Item("i2", "Names the company and says the call is recorded", Decimal(20), critical=True),
    )),
    sc.Section("Conversation", (
        sc.Item("i3", "Listens and asks about the customer's needs", Decimal(30), sc.Kind.SCALE, 5),
        sc.Item("i4", "Handles objections without pressure", Decimal(20), allows_na=True),
    )),
    sc.Section("Close", (sc.Item("i5", "Confirms the next step or the order", Decimal(20)),)),
))


def ensure_quality(session: Session, agents: Sequence[m.Agent], team_name: str,
                   today: date | None = None) -> str:
    """QA for a demo site: its agents in a team (those in none), a published scorecard, the team's sampling
    policy, and (once the agents have taken calls this week) the week's sample on the team's QA work list.

    Nothing that exists is changed: a second run only draws the sample if the team has none yet.
    """
    card = session.scalar(select(m.Scorecard).where(m.Scorecard.name == DEMO_SCORECARD))
    if card is None:
        card = m.Scorecard(name=DEMO_SCORECARD, versions=[
            m.ScorecardVersion(number=1, form=sc.to_json(DEMO_FORM), published_at=utcnow())])
        session.add(card)
    team = session.scalar(select(m.Team).where(m.Team.name == team_name))
    if team is None:
        team = m.Team(name=team_name)
        session.add(team)
    session.flush()
    for agent in agents:
        if agent.team_id is None:
            agent.team_id = team.id
    if session.scalar(select(m.QaPolicy).where(m.QaPolicy.team_id == team.id)) is None:
        session.add(m.QaPolicy(team_id=team.id, per_agent=4, complaint_codes="COMPLAINT", due_days=3,
                               scorecard_id=card.id))
    session.flush()
    drawn = session.scalar(select(func.count()).select_from(m.QaSample).where(m.QaSample.team_id == team.id))
    day = today or utcnow().date()
    if drawn or not candidates(session, team.id, week_of(day)):
        return f"{team_name}: scorecard {DEMO_SCORECARD!r}, {drawn} sampled calls"
    result = draw_sample(session, team.id, day)
    return f"{team_name}: scorecard {DEMO_SCORECARD!r}, sampled {len(result.picks)} calls of this week"


#: The demo's knowledge base: a few FAQ articles in Chinese and English, as the trainer would write them.
DEMO_ARTICLES = (
    kb.ArticleInput("退款申请流程", "客户申请退款时，先核对订单号和付款方式，再在系统里提交退款申请。"  # noqa: RUF001
                    "退款在七个工作日内原路退回。", "退款, 售后", "会员卡"),
    kb.ArticleInput("Refund within 30 days",
                    "A customer may ask for a refund within 30 days of the purchase. Check the order "
                    "number, then file the refund; it reaches the card in 7 working days.",
                    "refund, billing", "Gold plan"),
    kb.ArticleInput("发票开具", "电子发票在付款后24小时内发送到客户邮箱；纸质发票需要提供邮寄地址。",  # noqa: RUF001
                    "发票", ""),
    kb.ArticleInput("Calling hours and do-not-call", "Never promise a call outside the lead's calling hours. "
                    "A customer who asks not to be called again: choose the Do not call outcome.",
                    "compliance, dnc", ""),
)


def ensure_articles(session: Session) -> str:
    """The demo's knowledge base, written once (when there is no article at all)."""
    if session.scalar(select(func.count()).select_from(m.KbArticle)):
        return "knowledge base left as it was"
    for article in DEMO_ARTICLES:
        kb.save_article(session, None, article, None, utcnow())
    return f"knowledge base: {len(DEMO_ARTICLES)} articles"


def ensure_complaint(session: Session, team_name: str) -> str:
    """The demo's complaint, written once (when there is no ticket at all): a customer of the first demo
    campaign, for ``team_name``, just answered, for a supervisor to accept, assign and follow through."""
    if session.scalar(select(func.count()).select_from(m.Ticket)):
        return "complaints left as they were"
    team = session.scalar(select(m.Team).where(m.Team.name == team_name))
    lead = session.scalar(select(m.Lead).where(m.Lead.campaign_id.is_not(None)).order_by(m.Lead.id))
    new_ticket(session, subject="回电没有兑现 / Promised call-back never came",
               description="客户说坐席答应第二天回电，但一直没有接到电话。"  # noqa: RUF001
               "The customer was promised a call back the next day and never got it.",
               phone=lead.phone if lead is not None else "", at=utcnow(), by_id=None,
               note="demo: taken on the hotline", team_id=team.id if team is not None else None)
    return f"complaints: 1, answered, for {team_name}"


DEMO_VENDOR = "Demo Data Co."


def ensure_lead_data(session: Session, campaign: m.Campaign, agents: Sequence[m.Agent], team_name: str,
                     numbers: Callable[[int, int], list[str]], wiper: Wiper) -> str:
    """Bought lead data at each stage, through the pages' own functions (issue 15), seeded once (the
    vendor is the marker):

    * ``DEMO-SAMPLE``: received, its sample drawn into ``campaign``: the sandbox dials it as the
      campaign runs, and the purchase page counts the results until the director decides;
    * ``DEMO-ACCEPTED``: accepted (seeded so, its note says: no sample was dialed for it), handed to
      the team, and by the team leader to each agent: the progressive dialer calls an agent's own
      records for that agent only;
    * ``DEMO-EXPIRED``: its licence ended yesterday, destroyed by the scheduled job with a certificate.

    ``numbers(first_serial, n)``: ``n`` numbers the sandbox world answers.
    """
    if session.scalar(select(m.Vendor.id).where(m.Vendor.name == DEMO_VENDOR)) is not None:
        return "lead data: seeded before, left as it is"
    vendor = purchases.create_vendor(session, DEMO_VENDOR, "sales@demo-data.example", "Seeded for the demo.")
    team = session.scalars(select(m.Team).where(m.Team.name == team_name)).one()
    if team not in campaign.teams:
        campaign.teams.append(team)
    today = utcnow().date()

    def bought(batch: str, serial: int, n: int, days_ago: int, expires: date) -> m.Purchase:
        purchase = purchases.create_purchase(session, {
            "vendor_id": str(vendor.id), "batch": batch,
            "purchased_on": (today - timedelta(days=days_ago)).isoformat(),
            "licence_expires": expires.isoformat(), "price": str(Decimal(n) / 10), "record_count": str(n),
            "consent_basis": "opt-in on the vendor's site (demo)", "sample_margin": "0.1"})
        pool = m.LeadList(name=batch, purchase_id=purchase.id, active=False, source=f"{batch} (demo)")
        session.add(pool)
        session.flush()
        add_leads(session, None, pool, numbers(serial, n))
        session.flush()
        return purchase

    sampled = bought("DEMO-SAMPLE", 500, 40, 1, today + timedelta(days=365))
    sample = purchases.draw_sample(session, sampled, campaign, random.Random(15))
    accepted = bought("DEMO-ACCEPTED", 600, 24, 5, today + timedelta(days=365))
    accepted.state = PurchaseState.ACCEPTED
    accepted.decided_at = utcnow()
    accepted.decision_note = "seeded accepted for the demo: no sample of it was dialed"
    session.flush()
    handout.hand_out(session, accepted, handout.Receiver(team), "20", None)
    for agent in agents:
        handout.hand_out(session, accepted, handout.Receiver(team, agent, campaign), "4", None)
    bought("DEMO-EXPIRED", 700, 10, 90, today - timedelta(days=1))
    destroyed = destruction.destroy_expired(session, wiper, utcnow())
    session.flush()
    return (f"lead data: vendor {DEMO_VENDOR!r}; DEMO-SAMPLE's {len(sample.leads)} sample records in "
            f"{campaign.name!r}, DEMO-ACCEPTED handed to {team_name} and 4 to each agent, "
            f"{destroyed} expired batch destroyed with a certificate")
