"""What agents do at their desk (web → DB → runner), as core inputs next to PBX events.

Each carries the campaign it is meant for, so a runner may hand every input
to every campaign's dialer: each dialer ignores what is not its own. Agent
pause/ready/log-out requests use ``orchestrator.events.AgentStateChanged``.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator import safe
from orchestrator.commands import Endpoint
from orchestrator.events import AgentState, Event
from orchestrator.leads.model import Lead


@dataclass(frozen=True, slots=True)
class AgentLogin(Event):
    """An agent logs in on a seat of this node to work for ``campaign_id``; the core nails up a leg.

    ``phone``: where that leg is dialed: the seat itself (``EndpointKind.SEAT``) or, for a remote
    seat, its outside number through a trunk (``EndpointKind.TRUNK``); either way it is held open
    in the agent-hold route, so nothing after the dial tells them apart.

    The node's pool logs them in (not the campaign: ``orchestrator.agents.pool``) and the
    blending gives them to ``campaign_id`` or, when they become free, to any of
    ``other_campaigns`` (campaigns they may be blended into; the desk names none yet).
    ``leg``: the agent's nailed-up leg is already up (a restarted runner found it, maybe still
    in the call the store shows): the core takes it over instead of ringing the seat again.
    ``queues``: inbound queues (``orchestrator.inbound``) they answer too: a hotline seat logs in
    with ``campaign_id=None`` and its queue; an overflow agent with their campaign and the queue.
    ``confirm``: "press 1 to accept" (a remote seat's, by default): an answered leg counts as up
    only once the phone pressed 1 in the hold route, so a voicemail that picks up the agent's
    mobile never makes them READY.
    """

    campaign_id: int | None
    agent_id: int
    phone: Endpoint
    leg: str = ""
    other_campaigns: tuple[int, ...] = ()
    queues: tuple[int, ...] = ()
    confirm: bool = False

    def __post_init__(self) -> None:
        if self.leg:
            safe.check_channel_id(self.leg)


@dataclass(frozen=True, slots=True)
class AgentLeaving(Event):
    """An agent announces a break, lunch or log-out at ``leaving_at`` (``None``: after this call).

    The campaign applies it as a pause or log-out request when the time comes (kept until
    the call ends if they are on one); until then the pacer dials no customer for them once
    their departure is within its horizon, so nobody is left waiting when they go.
    """

    agent_id: int
    leaving_at: float | None
    state: AgentState = AgentState.PAUSED  # or LOGGED_OUT
    reason: str = ""

    def __post_init__(self) -> None:
        if self.state not in (AgentState.PAUSED, AgentState.LOGGED_OUT):
            raise ValueError(f"an agent leaves to be paused or logged out, not {self.state.value}")


@dataclass(frozen=True, slots=True)
class AgentMove(Event):
    """A supervisor moves a logged-in agent of this node to the campaign ``campaign_id``.

    The node's pool applies it (``AgentPool.move``): the agent finishes the call in progress
    for their campaign, whose pacer counts them as leaving from now on, then the new campaign
    takes them (and its pacer counts them) once they are free.
    """

    agent_id: int
    campaign_id: int


@dataclass(frozen=True, slots=True)
class PreviewDial(Event):
    """A ready agent looked at ``lead`` (claimed for them by the web) and asks to call it."""

    campaign_id: int
    agent_id: int
    lead: Lead


@dataclass(frozen=True, slots=True)
class Disposition(Event):
    """The agent classified their last call, or the one they are still on (applied when it ends).

    ``callback_at`` promises a callback by the same agent; ``final=False``
    (a disposition that is not final) recycles the lead instead of closing it.
    """

    campaign_id: int
    agent_id: int
    attempt_id: str
    code: str
    callback_at: float | None = None
    final: bool = True
    #: The call's lead as stored, when the runner could read it (not being dialed again): what the
    #: disposition applies to when the dialer no longer remembers the call (a restart came between).
    lead: Lead | None = None


@dataclass(frozen=True, slots=True)
class EndCall(Event):
    """The agent ends their call from the panel; their phone stays connected for the next one.

    The customer is hung up, or kept on the line for the satisfaction survey where the
    campaign or inbound route asks one (``orchestrator.quality.survey``).
    """

    agent_id: int


@dataclass(frozen=True, slots=True)
class TransferCall(Event):
    """``agent_id`` asks to hand their customer to ``to_agent_id``; ``request_id``: the desk request."""

    request_id: int
    agent_id: int
    to_agent_id: int
