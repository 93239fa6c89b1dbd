"""The wallboard snapshot, computed from the tables the runners write.

Abandon rates come from the runners' per-minute counts (``abandon_buckets``,
summed over every node): the numbers the dialer itself paces against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, cast, func, select, true
from sqlalchemy.orm import Session

from orchestrator.compliance import BUCKET_S, WINDOWS, abandon_rate, amd_floor, rules_for
from orchestrator.pacing.base import AbandonWindow
from store.enums import OUTBOUND_MODES, AgentState, CallDirection, CampaignState
from store.models import AbandonBucket, Agent, Attempt, Call, Campaign, PacingNote, User
from web.auth.roles import campaigns_within, within
from web.campaigns.progress import agents_on, campaigns_of
from web.reports.inbound import SERVICE_LEVEL_S
from web.sales.services import by_team, sales_vs_target
from web.wallboard.today import agent_times, inbound_queues, ivr_today

HOURS_SHOWN = 12
_COUNTS = (AbandonBucket.live_answers, AbandonBucket.abandons, AbandonBucket.machines)
WORKING = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


def snapshot(
    session: Session, now: datetime, teams: frozenset[int] | None, target: Decimal
) -> dict[str, Any]:
    """The live board; ``teams`` (a team leader's scope, None: all) limits agents to those teams and
    campaigns (with their calls in flight and per hour) to those the teams work; ``target``: the sales
    one agent should make today."""
    agents = session.execute(
        select(User.username, Agent.state, Agent.state_reason, Agent.state_since, Agent.team_id, Agent.id)
        .join(Agent.user)
        .where(within(teams, Agent.team_id))
        .order_by(User.username)
    ).all()
    by_state = Counter(state.value for _, state, _, _, _, _ in agents)
    on = campaigns_of(session, [agent_id for *_, agent_id in agents])
    names = dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(set(on.values()))))
                 .tuples().all())
    calls = _current_calls(session)
    campaigns = _visible_campaigns(session, teams)
    open_attempts = session.execute(
        select(Attempt.campaign_id, Attempt.answered_at, Attempt.bridged_at)
        .where(Attempt.ended_at.is_(None))
        .where(true() if teams is None else Attempt.campaign_id.in_([c.id for c in campaigns]))
    ).all()
    times = agent_times(session, now, [agent_id for *_, agent_id in agents])
    ringing = sum(1 for _, answered, _ in open_attempts if answered is None)
    waiting = sum(1 for _, answered, bridged in open_attempts if answered is not None and bridged is None)
    return {
        "now": now.isoformat(),
        "agents": [
            {
                "id": agent_id,
                "name": name,
                "state": state.value,
                "reason": reason,  # why paused: "phone disconnected", "connecting", "lunch" ...
                "team_id": team,
                "seconds": int((now - since).total_seconds()) if since else None,
                "since": since.isoformat() if since else None,  # the page's clock counts on from it
                "call_id": calls.get(agent_id),  # the call on the agent's line now: links to its page
                "campaign": names.get(on.get(agent_id, 0), ""),  # the one they work for now
                **{f"{name}_s": seconds for name, seconds in times[agent_id].items()},  # today's
            }
            for name, state, reason, since, team, agent_id in agents
        ],
        "agents_by_state": {s.value: by_state.get(s.value, 0) for s in AgentState},
        "ringing": ringing,
        "waiting": waiting,
        "campaigns": _campaigns(session, now, campaigns, open_attempts),
        "calls_per_hour": calls_per_hour(session, now, None if teams is None else [c.id for c in campaigns]),
        "sales_today": _sales_today(session, now, teams, target),
        "queues": inbound_queues(session, now),
        "service_level_s": SERVICE_LEVEL_S,
        # The IVR is the centre's, as on the reports page: for those who see every team.
        "ivr_today": ivr_today(session, now) if teams is None else [],
    }


def _current_calls(session: Session) -> dict[int, int]:
    """agent -> the call they are on: an outbound one (its attempt not ended yet) or an inbound one
    they answered (no attempt: the call names its agent)."""
    outbound = session.execute(
        select(Attempt.agent_id, Call.id).join(Call, Call.attempt_id == Attempt.id)
        .where(Attempt.ended_at.is_(None), Attempt.agent_id.is_not(None))
    ).tuples()
    inbound = session.execute(
        select(Call.agent_id, Call.id)
        .where(Call.direction == CallDirection.INBOUND, Call.agent_id.is_not(None), Call.ended_at.is_(None))
    ).tuples()
    return {agent: call for agent, call in [*outbound, *inbound] if agent is not None}


def _sales_today(
    session: Session, now: datetime, teams: frozenset[int] | None, target: Decimal
) -> list[dict[str, Any]]:
    """Today's (UTC) net sales per team against the team's target (one agent target per agent at work)."""
    day = now.astimezone(UTC).date()
    return [
        {"team": t["team"], "net": str(t["net"]), "target": str(t["target"]), "agents": t["agent_days"],
         "share": float(t["net"] / t["target"]) if t["target"] else 0.0}
        for t in by_team(sales_vs_target(session, day, day, teams, target))
    ]


def move_targets(session: Session, teams: frozenset[int] | None) -> list[Campaign]:
    """The campaigns a supervisor may move agents to from the board: running outbound ones in scope
    (``web.agent.services.move`` checks the agent's own team too)."""
    return [c for c in _visible_campaigns(session, teams)
            if c.desired_state is CampaignState.RUNNING and c.mode in OUTBOUND_MODES]


def _visible_campaigns(session: Session, teams: frozenset[int] | None) -> list[Campaign]:
    """Campaigns not stopped; in a scope, only those one of its teams works (campaign_teams)."""
    query = select(Campaign).where(Campaign.desired_state != CampaignState.STOPPED, campaigns_within(teams))
    return list(session.scalars(query.order_by(Campaign.name)))


def _abandon_rates(
    session: Session, campaigns: list[Campaign], now: datetime
) -> dict[int, tuple[float, float, float]]:
    """campaign -> (24 h rate, 30-day rate, 24 h AMD floor) from the runners' minute buckets, summed
    over nodes. The floor is the rate with no abandon at all (``amd_floor``): the cap cannot be met
    with the campaign's AMD settings when it reaches the cap.

    The same windows and formula the dialer enforces (``orchestrator.compliance``):
    a bucket counts while ``start > now - window - BUCKET_S``, and the UK rate
    adds the estimated AMD false positives to both sides.
    """
    if not campaigns:
        return {}
    day_start, month_start = (now - timedelta(seconds=w + BUCKET_S) for w in WINDOWS)
    in_day = AbandonBucket.start > day_start
    rows = session.execute(
        select(
            AbandonBucket.campaign_id,
            *(func.sum(case((in_day, col), else_=0)) for col in _COUNTS),
            *(func.sum(col) for col in _COUNTS),
        )
        .where(AbandonBucket.campaign_id.in_([c.id for c in campaigns]), AbandonBucket.start > month_start)
        .group_by(AbandonBucket.campaign_id)
    ).all()
    sums = {row[0]: [int(x or 0) for x in row[1:]] for row in rows}
    rates = {}
    for c in campaigns:
        counts_fp = rules_for(c.compliance_profile).counts_amd_false_positives
        fp_rate = float(c.amd_false_positive_rate or 0) if counts_fp else 0.0
        counts = sums.get(c.id, [0] * 6)
        day, month = (
            AbandonWindow(w, abandons, live, machines * fp_rate)
            for w, (live, abandons, machines) in zip(WINDOWS, (counts[:3], counts[3:]), strict=True)
        )
        rates[c.id] = (abandon_rate(day), abandon_rate(month), amd_floor(day))
    return rates


def amd_warning(session: Session, campaign: Campaign, now: datetime) -> str:
    """Why the campaign's compliance profile cannot be met with its AMD settings, or "".

    Over the last 24 h the estimated AMD false positives (machine verdicts x the campaign's
    false-positive rate) are counted as abandons; when they alone reach the cap, no pacing
    can meet it (the dialer then holds abandons near zero and occupancy falls).
    """
    floor = _abandon_rates(session, [campaign], now)[campaign.id][2]
    cap = float(campaign.abandon_cap)
    if floor < cap:
        return ""
    return (f"AMD false positives alone are {100 * floor:.2f} % of live answers over the last 24 h, "
            f"at or over the {100 * cap:.2f} % cap of {campaign.compliance_profile.value}: "
            "no dial level can meet it. Lower the false-positive rate (AMD settings) "
            "or stop hanging up on machine verdicts.")


def _campaigns(
    session: Session, now: datetime, campaigns: list[Campaign], open_attempts: Sequence[Any]
) -> list[dict[str, Any]]:
    rates = _abandon_rates(session, campaigns, now)
    in_flight = Counter(cid for cid, _, _ in open_attempts)
    on = agents_on(session, [c.id for c in campaigns])
    notes: dict[int, list[str]] = {}
    reasons: dict[int, list[str]] = {}  # the codes of the notes, which a page in another language shows
    for cid, text, codes in session.execute(
        select(PacingNote.campaign_id, PacingNote.text, PacingNote.reasons)
        .where(PacingNote.campaign_id.in_([c.id for c in campaigns]))
        .order_by(PacingNote.node_id)
    ):
        notes.setdefault(cid, []).append(text)
        seen = reasons.setdefault(cid, [])
        seen.extend(code for code in codes.split(",") if code and code not in seen)
    out = []
    for c in campaigns:
        agents = sum(on[c.id][state] for state in WORKING)
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "mode": c.mode.value,
                "state": c.desired_state.value,
                "cap": float(c.abandon_cap),
                "window_s": c.abandon_window_s,
                "abandon_24h": rates[c.id][0],
                "abandon_30d": rates[c.id][1],
                "in_flight": in_flight.get(c.id, 0),
                "agents": agents,
                "dial_level": round(in_flight.get(c.id, 0) / agents, 2) if agents else 0.0,
                "amd_floor": rates[c.id][2],
                "pacing_note": " | ".join(notes.get(c.id, [])),
                "pacing_reasons": reasons.get(c.id, []),
            }
        )
    return out


def calls_per_hour(
    session: Session, now: datetime, campaign_ids: list[int] | None
) -> list[dict[str, Any]]:
    """Attempts and connects per hour for the last ``HOURS_SHOWN`` hours (oldest first), of
    ``campaign_ids`` only when given."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_SHOWN - 1)
    hour_index = hours_since(session, Attempt.created_at, start)
    dials: Counter[int] = Counter()
    connects: Counter[int] = Counter()
    for idx, n, c in session.execute(
        select(hour_index, func.count(), func.count(Attempt.bridged_at))
        .where(Attempt.created_at >= start)
        .where(true() if campaign_ids is None else Attempt.campaign_id.in_(campaign_ids))
        .group_by(hour_index)
    ):
        dials[int(idx)] += n
        connects[int(idx)] += c
    return [
        {"hour": (start + timedelta(hours=i)).strftime("%H:00"),  # UTC; the page shows the centre's hour
         "at": (start + timedelta(hours=i)).isoformat(), "dials": dials[i], "connects": connects[i]}
        for i in range(HOURS_SHOWN)
    ]


def hours_since(session: Session, column: Any, start: datetime) -> Any:
    """Whole hours from ``start`` to ``column`` as SQL, on both databases (UTC)."""
    if session.get_bind().dialect.name == "sqlite":
        naive = start.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
        return cast((func.julianday(column) - func.julianday(naive)) * 24, Integer)
    return func.floor(func.extract("epoch", column - start) / 3600)
