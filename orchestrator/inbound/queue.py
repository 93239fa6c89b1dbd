"""``InboundQueue``: callers to a hotline, answered by its seats first, then by outbound agents.

A unit of the node (``orchestrator.node.unit``) like a campaign: events in,
a :class:`~orchestrator.step.Step` out. Its agents come from the node's pool:

* **hotline seats** log in for the queue only (``AgentLogin(queues=...)``); a
  caller gets the one READY longest, at once;
* **overflow agents** are designated outbound agents who log in for their
  campaign and the queue. When a caller arrives and no hotline seat is free,
  the queue *reserves* one of them (:meth:`AgentPool.reserve`) for the moment
  the caller's wait reaches ``overflow_after_s``. The reservation is what the
  campaign's pacer already reads for an announced departure
  (``AgentView.leaving_at``), so dialing for that agent stops as the caller
  arrives, before the agent is taken. From that moment the queue claims free
  agents at :data:`PRIORITY` (above every campaign), so the blending gives it
  the first overflow agent who becomes free; one idle in their campaign is
  pulled then. After the inbound call and its wrap-up the agent is free again
  and the blending returns them to their campaign (the queue claims below the
  campaigns when nobody is due);
* a **standby** (``QueueConfig.standby``): the queue keeps that many agents
  free for the next callers, free hotline seats first, overflow agents idle in
  the queue for the rest, reserved ``standby_notice_s`` ahead, so the next
  caller is answered at once instead of waiting for an outbound call to end
  (a talk of minutes). Without it a caller waits for the first designated
  agent to finish their outbound call.

A caller who waits ``max_wait_s`` is sent to voicemail (a rendered route that
prompts for a message; the queue records it) or a callback request (a route that
says they will be called back); either way the call is listed for a follow-up.
The routes and the hold music are the PBX wiring's; *when* a waiting caller hears
their place in the queue is the queue's: every ``announce_every_s`` of their wait
(0: never) it sends :class:`~orchestrator.commands.AnnouncePosition` with their
position at that moment (``CallerQueued`` carries the position at entry,
``CallerMoved`` each change, and :meth:`InboundQueue.position` answers it) and, with
``announce_wait``, their estimated wait in minutes (``orchestrator.inbound.estimate``: from
the recent answered calls' handle times, :attr:`InboundQueue.handle_times`, and the agents
serving the queue; none without a basis).

A caller an IVR menu sends on to the queue's DID (``orchestrator.inbound.ivr``) arrives the same way.
On a live node the caller arrives ringing in the node's ``sb-inbound`` route: a
queue with a ``wait_route`` moves them there (answered, hold music) as it takes
them, and bridges them only once that route reports them there
(:mod:`orchestrator.inbound.hold`: a bridge sent with the move raced it), even
with an agent free; their wait still counts from their arrival. Outside its
business ``hours`` it sends them to ``closed_route`` (a message, then hang-up)
instead, counted as :class:`CallerTurnedAway`. With
``record_calls`` every answered caller is recorded like an outbound call,
from the bridge on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from orchestrator import safe
from orchestrator.agents.pool import Agent, AgentPool
from orchestrator.commands import AnnouncePosition, Hangup, Redirect, StartRecording
from orchestrator.dialer import routes
from orchestrator.dialer.agents import AgentBoard
from orchestrator.dialer.facts import CallTransferred
from orchestrator.dialer.inputs import AgentLeaving, AgentLogin, EndCall, TransferCall
from orchestrator.dialer.ports import IdFactory, uuid_ids
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    Answered,
    CallArrived,
    CallEvent,
    DialplanSignal,
    Event,
    HungUp,
    PbxConnected,
    Tick,
)
from orchestrator.inbound import hold, ivr
from orchestrator.inbound.estimate import HandleTimes, estimated_wait_min
from orchestrator.leads.hours import ALWAYS, CallingHours
from orchestrator.node.unit import Claim, UnitKey, UnitKind
from orchestrator.quality.survey import SurveyConfig, Surveys, bridge
from orchestrator.step import Fact, Outbox, Step

#: The queue's claim while a caller is due for overflow: above every outbound campaign (0).
PRIORITY = 1
#: Its claim otherwise: below the campaigns, so an overflow agent it no longer needs goes back.
IDLE_PRIORITY = -1


class MaxWait(StrEnum):
    """Where a caller goes after the longest wait."""

    VOICEMAIL = "voicemail"
    CALLBACK = "callback"  # a "we call you back" request: the runner files a callback


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One inbound queue. ``numbers``: the dialed numbers (DIDs) it answers."""

    queue_id: int
    numbers: frozenset[str]
    hotline: frozenset[int] = frozenset()  # agent ids of the hotline seats
    overflow: frozenset[int] = frozenset()  # designated outbound agents
    overflow_after_s: float = 10.0  # how long a caller waits for a busy hotline seat
    #: Free agents kept at hand, so the next caller is answered at once: free hotline seats count
    #: first, overflow agents idle in the queue make up the rest (1: one overflow agent while the
    #: hotline is busy); reserved ``standby_notice_s`` ahead (their pacer's notice).
    standby: int = 0
    standby_notice_s: float = 20.0
    max_wait_s: float = 120.0
    on_max_wait: MaxWait = MaxWait.VOICEMAIL
    wrap_up_s: float = 20.0
    voicemail_route: str = "sb-queue-voicemail"
    callback_route: str = "sb-queue-callback"
    leg_timeout_s: int = 25
    #: Where a caller taken by the queue waits (answered, hold music); "": left where they arrived.
    wait_route: str = ""
    #: Where a caller outside the business ``hours`` goes (a message, then hang-up).
    closed_route: str = "sb-queue-closed"
    hours: CallingHours = ALWAYS  # business hours, local to ``timezone``
    timezone: str = "UTC"
    #: Local dates the route is closed all day, whatever its hours (the Spring Festival, National Day).
    holidays: frozenset[date] = frozenset()
    record_calls: bool = False
    #: The satisfaction survey a caller hears after their agent ends the call (None: hung up).
    survey: SurveyConfig | None = None
    #: How often a waiting caller is told their position (seconds of wait between two; 0: never).
    announce_every_s: float = 0.0
    announce_route: str = "sb-queue-announce"
    #: Say an estimated wait after the position (when the queue has a basis for one).
    announce_wait: bool = True

    def __post_init__(self) -> None:
        if not self.numbers:
            raise ValueError("a queue answers at least one number")
        if self.hotline & self.overflow:
            raise ValueError("an agent is a hotline seat or an overflow agent, not both")
        if not 0.0 <= self.overflow_after_s < self.max_wait_s:
            raise ValueError("need 0 <= overflow_after_s < max_wait_s")
        if self.wrap_up_s < 0 or self.standby < 0 or self.standby_notice_s < 0 or self.announce_every_s < 0:
            raise ValueError("wrap_up_s, standby, standby_notice_s and announce_every_s must be >= 0")
        for route, what in ((self.voicemail_route, "voicemail route"),
                            (self.callback_route, "callback route"),
                            (self.closed_route, "closed route"), (self.wait_route, "wait route"),
                            (self.announce_route, "announce route")):
            if route or what != "wait route":
                safe.check_token(route, what)
        ZoneInfo(self.timezone)  # an unknown zone fails here, not on the first caller

    def is_open(self, at: float) -> bool:
        """Within the business hours at epoch ``at``, on a day that is no holiday (local dates)."""
        local = datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        return local.date() not in self.holidays and self.hours.allows(local)

    def answers(self, dialed_number: str) -> bool:
        """The queue takes calls to ``dialed_number`` (with or without a leading "+")."""
        return dialed_number.removeprefix("+") in self.numbers

    @property
    def key(self) -> UnitKey:
        return UnitKey(UnitKind.QUEUE, self.queue_id)


# -- facts -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallerQueued(Fact):
    queue_id: int
    call_id: str
    caller_number: str
    position: int  # 1: next to be answered
    dialed_number: str = ""  # the DID the caller dialed


@dataclass(frozen=True, slots=True)
class CallerTurnedAway(Fact):
    """A caller outside the business hours: sent to the closed message, never queued."""

    queue_id: int
    call_id: str
    caller_number: str
    dialed_number: str


@dataclass(frozen=True, slots=True)
class CallerMoved(Fact):
    """A caller ahead left the queue: ``call_id`` is now at ``position`` (for a position prompt)."""

    queue_id: int
    call_id: str
    position: int


@dataclass(frozen=True, slots=True)
class OverflowReserved(Fact):
    """``agent_id`` is reserved from ``from_at`` (their campaign's pacer plans without them from now)."""

    queue_id: int
    agent_id: int
    from_at: float


@dataclass(frozen=True, slots=True)
class OverflowReleased(Fact):
    """The reservation of ``agent_id`` is no longer wanted (a hotline seat took the caller)."""

    queue_id: int
    agent_id: int


@dataclass(frozen=True, slots=True)
class CallerAnswered(Fact):
    queue_id: int
    call_id: str
    agent_id: int
    waited_s: float
    overflow: bool  # answered by an overflow agent, not a hotline seat
    recording: str = ""  # path relative to the PBX's recording directory; "" when not recorded


@dataclass(frozen=True, slots=True)
class CallerEnded(Fact):
    """An answered caller's call ended (either side hung up) after ``talk_s`` with the agent."""

    queue_id: int
    call_id: str
    agent_id: int
    talk_s: float


@dataclass(frozen=True, slots=True)
class CallerAbandoned(Fact):
    """The caller hung up while waiting."""

    queue_id: int
    call_id: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class CallerSentOn(Fact):
    """The caller waited ``max_wait_s`` and was sent to voicemail or a callback request; a voicemail
    caller's message is recorded from here to ``recording`` (relative to the PBX's recording directory)."""

    queue_id: int
    call_id: str
    waited_s: float
    to: MaxWait
    recording: str = ""


@dataclass(frozen=True, slots=True)
class CallerLeft(Fact):
    """A caller sent to voicemail or a callback request hung up ``stayed_s`` after (their message's
    length, for voicemail)."""

    queue_id: int
    call_id: str
    stayed_s: float


@dataclass(slots=True)
class Caller:
    channel_id: str
    call_id: str
    number: str
    arrived: float
    overflow_at: float
    position: int = 0  # as last told
    told_at: float = 0.0  # when the caller last heard their position (their arrival before that)
    agent_id: int | None = None  # who answered
    answered: float = 0.0
    #: In a place they can be bridged from: the wait route reported them (``hold.SIGNAL``), or the
    #: queue has no wait route and left them where they arrived.
    holding: bool = True


class InboundQueue:
    """One queue on one node (see the module docstring); ``pool``: the node's (``NodeHost.pool``)."""

    def __init__(self, config: QueueConfig, pool: AgentPool, ids: IdFactory = uuid_ids) -> None:
        self.config, self.pool = config, pool
        self.board = AgentBoard(pool, self.key, config.queue_id, ids, config.leg_timeout_s)
        self.waiting: dict[str, Caller] = {}  # by channel, in arrival order
        self.talking: dict[str, Caller] = {}  # answered, by channel
        self.sent_on: dict[str, tuple[Caller, float]] = {}  # to voicemail or a callback, and when
        self.surveys = Surveys()  # answered callers kept on the line for the survey
        #: The recent answered calls' handle times (talk + wrap-up), for the estimated wait; the runner
        #: seeds them from the stored calls when it hosts the queue.
        self.handle_times = HandleTimes()
        self._now = float("-inf")  # the last input's time

    @property
    def key(self) -> UnitKey:
        return self.config.key

    # -- queries ---------------------------------------------------------------------------------
    def position(self, channel_id: str) -> int | None:
        """1 for the caller answered next; None if not waiting."""
        for i, ch in enumerate(self.waiting, 1):
            if ch == channel_id:
                return i
        return None

    def claim(self, now: float) -> Claim:
        """Urgent while a caller's overflow or a reservation is due (the longest-waiting caller's
        arrival, else the reservation's time); below the campaigns otherwise."""
        due = [c.arrived for c in self.waiting.values() if c.overflow_at <= now]
        due += [a.reserved[0] for a in self._reserved() if a.reserved is not None and a.reserved[0] <= now]
        return Claim(PRIORITY, min(due)) if due else Claim(IDLE_PRIORITY)

    def next_wakeup(self) -> float | None:
        """Max waits and wrap-ups to end; overflow and reservation times still ahead (once past, a
        freed agent's claim or the next input acts on them)."""
        c = self.config
        deadlines = [w.arrived + c.max_wait_s for w in self.waiting.values()]
        deadlines += [w.overflow_at for w in self.waiting.values() if w.overflow_at > self._now]
        deadlines += [a.reserved[0] for a in self._reserved()
                      if a.reserved is not None and a.reserved[0] > self._now]
        deadlines += [a.since + c.wrap_up_s for a in self.board.agents.values()
                      if a.state is AgentState.WRAP_UP]
        if c.announce_every_s:
            deadlines += [w.told_at + c.announce_every_s for w in self.waiting.values()]
        return min(deadlines, default=None)

    # -- inputs ----------------------------------------------------------------------------------
    def handle(self, event: Event) -> Step:
        out = Outbox()
        now = self._now = event.at
        match event:
            case CallEvent() if self.surveys.on_event(event, out):
                pass
            case CallArrived() if self.config.answers(event.dialed_number):
                self._arrive(event, now, out)
            case DialplanSignal():
                self._signal(event, now, out)
            case HungUp():
                self._hung_up(event.channel_id, now, out)
            case Answered() if (agent := self.board.by_leg(event.channel_id)) is not None:
                self.board.leg_answered(agent, now, out)
            case AgentLogin() | AgentStateChanged() | AgentLeaving() | EndCall():
                self._agent_input(event, now, out)
            case TransferCall() if event.agent_id in self.board.agents:
                self._transfer(event, now, out)
            case PbxConnected():
                self.surveys.forget(event.live_channel_ids)
                self._reconnected(event.live_channel_ids)
            case Tick():
                self._tick(now, out)
        return self._finish(now, out)

    def _signal(self, event: DialplanSignal, now: float, out: Outbox) -> None:
        """An IVR key sent a caller on to our DID; a caller we moved reached the wait route (and may be
        bridged now); or a remote seat's phone pressed 1 (its leg counts as up)."""
        if event.name == ivr.SIGNAL_ROUTE and self.config.answers((sent := ivr.arrival(event)).dialed_number):
            self._arrive(sent, now, out)
        elif event.name == hold.SIGNAL and event.channel_id in self.waiting:
            self.waiting[event.channel_id].holding = True
        elif event.name == routes.SIGNAL_CONFIRMED:
            agent = self.board.by_leg(event.channel_id)
            if agent is not None:
                self.board.leg_confirmed(agent, now, out)

    def _agent_input(self, event: AgentLogin | AgentStateChanged | AgentLeaving | EndCall, now: float,
                     out: Outbox) -> None:
        """An agent of this queue logs in, asks for a state, announces they are leaving or ends a call."""
        match event:
            case AgentLogin() if (joined := self.board.starting(event.agent_id)) is not None:
                self.board.login(joined, now, out)
            case AgentStateChanged() if (agent := self.board.agents.get(event.agent_id)) is not None:
                if agent.state is AgentState.WRAP_UP and event.state is AgentState.READY:
                    self.board.release(agent, now, out)
                else:
                    self.board.request(agent, event.state, event.reason, now, out)
            case AgentLeaving() if (agent := self.board.agents.get(event.agent_id)) is not None:
                self.board.announce(agent, event.leaving_at, event.state, event.reason, now, out)
            case EndCall() if (agent := self.board.agents.get(event.agent_id)) is not None:
                self._end_call(agent, now, out)

    def lines_on(self, trunk: str) -> int:
        """None of its own: its callers are counted from their arrival (``TrunkLines.observe``)."""
        return 0

    def take(self, agent_id: int, now: float) -> Step:
        """The blending gave us a free agent (a hotline seat back, or an overflow agent): READY here."""
        out = Outbox()
        self._now = now
        self.board.set_state(self.board.agents[agent_id], AgentState.READY, "", now, out)
        return self._finish(now, out)

    # -- the decisions ---------------------------------------------------------------------------
    def _arrive(self, event: CallArrived, now: float, out: Outbox) -> None:
        call_id = event.call_id or event.channel_id
        if not self.config.is_open(now):
            out.send(Redirect(event.channel_id, self.config.closed_route))
            out.record(CallerTurnedAway(now, self.config.queue_id, call_id, event.caller_number,
                                        event.dialed_number))
            return
        caller = Caller(event.channel_id, call_id, event.caller_number, now,
                        now + self.config.overflow_after_s, told_at=now)
        if self.config.wait_route:
            out.send(Redirect(event.channel_id, self.config.wait_route))
            caller.holding = False  # bridged once the wait route reports them (hold.SIGNAL)
        if not any(a.agent_id in self.config.hotline and a.state is not AgentState.LOGGED_OUT
                   for a in self.board.agents.values()):
            caller.overflow_at = now  # no hotline seat to wait for
        self.waiting[caller.channel_id] = caller
        caller.position = len(self.waiting)
        out.record(CallerQueued(now, self.config.queue_id, caller.call_id, caller.number, caller.position,
                                event.dialed_number))

    def _hung_up(self, channel_id: str, now: float, out: Outbox) -> None:
        if (caller := self.waiting.pop(channel_id, None)) is not None:
            out.record(CallerAbandoned(now, self.config.queue_id, caller.call_id, now - caller.arrived))
        elif (caller := self.talking.pop(channel_id, None)) is not None:
            if caller.agent_id is not None:
                out.record(CallerEnded(now, self.config.queue_id, caller.call_id, caller.agent_id,
                                       now - caller.answered))
                self.handle_times.add(now - caller.answered + self.config.wrap_up_s)
            agent = self.board.agents.get(caller.agent_id) if caller.agent_id is not None else None
            if agent is not None and agent.state is AgentState.ON_CALL:
                self.board.start_wrap_up(agent, now, out)
        elif (left := self.sent_on.pop(channel_id, None)) is not None:
            caller, sent_at = left
            out.record(CallerLeft(now, self.config.queue_id, caller.call_id, now - sent_at))
        elif (agent := self.board.by_leg(channel_id)) is not None:
            self._end_call(agent, now, out)
            self.board.leg_lost(agent, now, out)

    def _reconnected(self, live_channel_ids: frozenset[str]) -> None:
        """The adapter reconnected: a wait route's report sent meanwhile was lost, and the moves
        were sent long before, so callers still on the line are taken as holding."""
        for caller in self.waiting.values():
            caller.holding = caller.holding or caller.channel_id in live_channel_ids

    def _end_call(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent's side of their call ended (from the panel, or their phone hung up): the caller
        goes to the survey where the route asks one (the call ends here for the queue), else is
        hung up (the call ends with the caller's hang-up)."""
        caller = next((c for c in self.talking.values() if c.agent_id == agent.agent_id), None)
        if caller is None or agent.state is not AgentState.ON_CALL:
            return
        survey = self.config.survey
        if survey is None:
            out.send(Hangup(caller.channel_id))
            return
        self._hung_up(caller.channel_id, now, out)
        self.surveys.offer(caller.channel_id, caller.call_id, agent.agent_id, survey, now, out,
                           queue_id=self.config.queue_id)

    def _transfer(self, request: TransferCall, now: float, out: Outbox) -> None:
        """A blind transfer of the agent's caller (``orchestrator.node.transfer``): the caller's call
        is the target's from now on (``CallerEnded`` names them); the first agent wraps up."""
        caller = next((c for c in self.talking.values() if c.agent_id == request.agent_id), None)
        done = (self.board.hand_over(request.agent_id, request.to_agent_id, caller.channel_id, now, out)
                if caller is not None else None)
        if caller is None or done is None:
            self.board.transfer_failed(request, now, out)
            return
        caller.agent_id = request.to_agent_id
        out.record(CallTransferred(now, request.request_id, request.agent_id, request.to_agent_id,
                                   call_id=caller.call_id))

    def _tick(self, now: float, out: Outbox) -> None:
        c = self.config
        self.board.departures_due(now, out)
        for agent in self.board.wrap_ups_due(now, c.wrap_up_s):
            self.board.release(agent, now, out)
        for caller in list(self.waiting.values()):
            if now - caller.arrived >= c.max_wait_s:
                self._send_on(caller, now, out)

    def _send_on(self, caller: Caller, now: float, out: Outbox) -> None:
        """Past the longest wait: to voicemail, whose message is always recorded (it is what the
        caller left, whatever ``record_calls`` says), or to the callback request."""
        c = self.config
        del self.waiting[caller.channel_id]
        self.sent_on[caller.channel_id] = (caller, now)
        voicemail = c.on_max_wait is MaxWait.VOICEMAIL
        out.send(Redirect(caller.channel_id, c.voicemail_route if voicemail else c.callback_route))
        recording = f"voicemail/{c.queue_id}/{caller.call_id}.wav" if voicemail else ""
        if recording:
            out.send(StartRecording(caller.channel_id, recording))
        out.record(CallerSentOn(now, c.queue_id, caller.call_id, now - caller.arrived, c.on_max_wait,
                                recording))

    def _finish(self, now: float, out: Outbox) -> Step:
        """Every input ends the same way: callers get free agents, the overflow agents wanted are
        reserved (and the others released), spare ones go back, reserved ones idle elsewhere and
        due are pulled."""
        self._connect(now, out)
        for position, caller in enumerate(self.waiting.values(), 1):
            if caller.position != position:
                caller.position = position
                out.record(CallerMoved(now, self.config.queue_id, caller.call_id, position))
        self._announce(now, out)
        self._reserve(now, out)
        self._give_back(now)
        for agent in self._reserved():
            if agent.reserved is not None and agent.reserved[0] <= now:
                self.pool.pull(agent, now)  # taken through the node's hand-over, if idle
        return out.step()

    def _announce(self, now: float, out: Outbox) -> None:
        """Callers still waiting (not the one just bridged) whose last announcement is
        ``announce_every_s`` old hear their position as it is now, and their estimated wait."""
        c = self.config
        if not c.announce_every_s:
            return
        for caller in self.waiting.values():
            if now - caller.told_at >= c.announce_every_s:
                caller.told_at = now
                out.send(AnnouncePosition(caller.channel_id, c.announce_route, caller.position,
                                          self.estimated_wait_min(caller.position) or 0))

    def estimated_wait_min(self, position: int) -> int | None:
        """The wait said to a caller at ``position`` (``orchestrator.inbound.estimate``); None when the
        route says none or there is no basis."""
        if not self.config.announce_wait:
            return None
        return estimated_wait_min(position, self.handle_times, self._serving())

    def _serving(self) -> int:
        """The queue's agents logged in and not paused: its hotline seats and overflow agents."""
        absent = (AgentState.LOGGED_OUT, AgentState.PAUSED)
        return sum(1 for i in self.config.hotline | self.config.overflow
                   if (a := self.pool.get(i)) is not None and a.state not in absent)

    def _connect(self, now: float, out: Outbox) -> None:
        for caller in [c for c in self.waiting.values() if c.holding]:
            # An overflow agent already here (the standby, or one just done) answers at once: the
            # overflow wait only decides when agents are taken from their campaigns.
            agent = self._longest_idle(hotline=True) or self._longest_idle(hotline=False)
            if agent is None or agent.leg is None:
                continue
            del self.waiting[caller.channel_id]
            caller.agent_id, caller.answered = agent.agent_id, now
            self.talking[caller.channel_id] = caller
            out.send(*bridge(self.config.survey, caller.channel_id, agent.leg))
            recording = ""
            if self.config.record_calls:
                recording = f"inbound/{self.config.queue_id}/{caller.call_id}.wav"
                out.send(StartRecording(caller.channel_id, recording))
            self.board.set_state(agent, AgentState.ON_CALL, "", now, out)
            agent.attempt_id = caller.call_id
            out.record(CallerAnswered(now, self.config.queue_id, caller.call_id, agent.agent_id,
                                      now - caller.arrived, agent.agent_id not in self.config.hotline,
                                      recording))

    def _longest_idle(self, *, hotline: bool) -> Agent | None:
        return min((a for a in self.board.ready() if (a.agent_id in self.config.hotline) == hotline),
                   key=lambda a: (a.since, a.agent_id), default=None)

    def _standby(self) -> int:
        """Overflow agents to keep idle here: ``standby`` free agents, free hotline seats counted
        first; none while no hotline seat is logged in (the standby backs the hotline's staff)."""
        seats = [a for a in self.board.agents.values() if a.agent_id in self.config.hotline]
        if not seats:
            return 0
        return max(0, self.config.standby - sum(a.state is AgentState.READY for a in seats))

    def _idle_overflow(self) -> list[Agent]:
        return [a for a in self.board.ready() if a.agent_id not in self.config.hotline]

    def _reserved(self) -> list[Agent]:
        """The overflow agents reserved by this queue, earliest reservation first."""
        mine = [a for i in self.config.overflow if (a := self.pool.get(i)) is not None
                and a.reserved is not None and a.reserved[1] == self.key]
        return sorted(mine, key=lambda a: (a.reserved or (0.0, self.key))[0])

    def _reserve(self, now: float, out: Outbox) -> None:
        """Reserve one overflow agent per caller still waiting (each from their overflow time)
        and the standby (``standby_notice_s`` from now) beyond those idle here already; release
        the reservations no longer wanted, latest first."""
        c = self.config
        times = sorted([w.overflow_at for w in self.waiting.values()]
                       + [now + c.standby_notice_s] * self._standby())
        times = [max(now, t) for t in times[len(self._idle_overflow()):]]
        reserved = self._reserved()
        for agent in reserved[len(times):]:
            self.pool.unreserve(agent)
            out.record(OverflowReleased(now, c.queue_id, agent.agent_id))
        for at in times[len(reserved):]:
            pick = self._overflow_candidate()
            if pick is None:
                return
            self.pool.reserve(pick, self.key, at)
            out.record(OverflowReserved(now, c.queue_id, pick.agent_id, at))

    def _give_back(self, now: float) -> None:
        """Overflow agents idle here beyond the standby go back to the blending (their campaign)."""
        for agent in self._idle_overflow()[self._standby():]:
            self.pool.free(agent, now)

    def _overflow_candidate(self) -> Agent | None:
        """The designated agent to reserve: idle longest, else free soonest (in wrap-up, then on a
        call, longest in it); never one paused, leaving, reserved or already here."""
        order = {AgentState.READY: 0, AgentState.WRAP_UP: 1, AgentState.ON_CALL: 2, AgentState.RESERVED: 3}
        candidates = [a for i in self.config.overflow if (a := self.pool.get(i)) is not None
                      and a.unit != self.key and a.reserved is None and a.leaving is None
                      and a.pending is None and a.state in order]
        return min(candidates, key=lambda a: (order[a.state], a.since, a.agent_id), default=None)
