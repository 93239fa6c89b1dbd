"""PBX-neutral call scenarios: the same core commands in, the same core events out, on every adapter.

A scenario says which core commands the core sends (each once an event it waits
for has been seen) and which core events must come back, per *leg* of the
attempt (``primary``, and ``secondary`` for two-leg scenarios), in order, with
Q.850 causes. Only the event kinds a scenario names are compared; every event
on a leg must carry that leg's ``attempt_id`` and, as its call id, the leg's
own channel id (each leg here starts its call).

A leg listed in ``Scenario.arrives`` is not originated by the core: the far end
calls the node on ``Leg.number`` (a DID) from :data:`CALLER_NUMBER` /
:data:`CALLER_NAME`; its channel id is the one the PBX gave the call (a replay
knows it from the recording) and its ``attempt_id`` is empty.

How an adapter plugs in (``test_ami_contract.py`` and ``test_esl_contract.py``):

1. Choose :class:`Ids` that match the traffic: for a replay, the recording's
   fixed attempt ids, channel ids and dialed numbers, plus whatever adapter
   configuration makes ``Endpoint(TRUNK, ids.trunk, number)`` and ``ROUTE``
   reach what was recorded; live, fresh ids and the sandbox world's numbers
   (``live.py``: the same numbers for both PBXes, the world is theirs).
2. Run it: start the adapter against your replay or PBX; whenever new core
   events arrived, ask :func:`due` which steps are now due (steps run in
   order; a step is due once its ``after`` event was seen) and execute
   ``step.build(ids)`` for each; keep collecting events until every step ran
   and :func:`settled` is true (or your timeout expires). Works the same
   from gevent or asyncio code: these helpers are pure.
3. ``assert differences(scenario, ids, events) == []``.

Adapter-specific checks (the wire commands matched the recording) belong in
the adapter's own test module, next to its replay machinery.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator import commands as c
from orchestrator import events as e

TRUNK_NAME = "carrier"
ROUTE = "sb-outbound"
#: Who calls in for the ``arrives`` legs (the world sends them as its caller id).
CALLER_NUMBER = "15550142"
CALLER_NAME = "Alice Example"
#: The node's endpoint for its carrier, where arriving legs come in (the sandbox's trunk to its
#: world: PJSIP endpoint ``world`` on Asterisk, address list ``world`` on FreeSWITCH).
CARRIER = "world"


@dataclass(frozen=True)
class Leg:
    attempt_id: str  # empty for a leg that arrives
    channel_id: str
    number: str  # what the trunk dials for this leg


@dataclass(frozen=True)
class Ids:
    """What a binding fills in for one run: the legs, and how this node is reached.

    ``trunk`` and ``variables`` are the node's, not the scenario's: the lab's recordings dial
    :data:`TRUNK_NAME` and turn AMD on in a lab context, a live node dials its world trunk and
    needs ``sb_amd=yes`` on the originate where its own ``sb-outbound`` runs the detection (as
    the runner sets it).
    """

    primary: Leg
    secondary: Leg | None = None
    recording: str = "recording.wav"  # the file name record_start_stop asks for (relative)
    trunk: str = TRUNK_NAME
    variables: Mapping[str, str] = field(default_factory=dict)  # set on every originate

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ids:
        """The ids a recording stored (``dataclasses.asdict``; older recordings lack trunk and variables)."""
        second = data.get("secondary")
        return cls(primary=Leg(**data["primary"]), secondary=Leg(**second) if second else None,
                   recording=data["recording"], trunk=data.get("trunk", TRUNK_NAME),
                   variables=data.get("variables", {}))

    def leg(self, name: str) -> Leg:
        leg = getattr(self, name)
        if leg is None:
            raise ValueError(f"this scenario needs a {name} leg")
        return leg


@dataclass(frozen=True)
class Expect:
    """One expected core event on a leg; only the ``fields`` given are compared.

    ``other`` names a leg (for Bridged/Unbridged ``other_channel_id``).
    """

    kind: type[e.CallEvent]
    leg: str = "primary"
    fields: Mapping[str, Any] = field(default_factory=dict)
    other: str = ""

    def matches(self, event: e.Event, ids: Ids) -> bool:
        if not isinstance(event, self.kind) or event.channel_id != ids.leg(self.leg).channel_id:
            return False
        if self.other and event.other_channel_id != ids.leg(self.other).channel_id:  # type: ignore[attr-defined]
            return False
        return all(getattr(event, k) == _resolve(v, ids) for k, v in self.fields.items())

    def describe(self) -> str:
        extra = [f"{k}={v!r}" for k, v in self.fields.items()]
        extra += [f"other={self.other}"] if self.other else []
        return f"{self.kind.__name__}({self.leg}{', ' if extra else ''}{', '.join(extra)})"


class _FromIds:
    """A field value that depends on the adapter's :class:`Ids` (e.g. the recording file name)."""

    def __init__(self, pick: Callable[[Ids], Any], name: str) -> None:
        self.pick, self.name = pick, name

    def __repr__(self) -> str:
        return self.name


RECORDING = _FromIds(lambda ids: ids.recording, "ids.recording")
#: The number an arriving leg dialed (its DID).
ARRIVING_NUMBER = _FromIds(lambda ids: ids.primary.number, "ids.primary.number")


def _resolve(value: Any, ids: Ids) -> Any:
    return value.pick(ids) if isinstance(value, _FromIds) else value


def ev(kind: type[e.CallEvent], leg: str = "primary", other: str = "", **fields: Any) -> Expect:
    return Expect(kind, leg, fields, other)


@dataclass(frozen=True)
class Step:
    """Send ``build(ids)`` once ``after`` has been seen (``None``: at the start)."""

    build: Callable[[Ids], c.Command]
    after: Expect | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    steps: tuple[Step, ...]
    expected: tuple[Expect, ...]  # in order, per leg
    #: The last events of a leg whose relative order differs between PBXs (compared as a set).
    unordered_tail: int = 0
    #: Event kinds compared (default: those in ``expected``); others are ignored.
    observed: frozenset[type[e.CallEvent]] = frozenset()
    #: Legs the far end places into the node (on the leg's number) before the first step.
    arrives: tuple[str, ...] = ()

    def kinds(self) -> frozenset[type[e.CallEvent]]:
        return self.observed or frozenset(x.kind for x in self.expected)

    def legs(self) -> list[str]:
        return sorted({x.leg for x in self.expected} | {x.other for x in self.expected if x.other})


def originate(leg: str = "primary", timeout_s: int = 25) -> Callable[[Ids], c.Command]:
    def build(ids: Ids) -> c.Command:
        chosen = ids.leg(leg)
        endpoint = c.Endpoint(c.EndpointKind.TRUNK, ids.trunk, chosen.number)
        return c.Originate(chosen.attempt_id, chosen.channel_id, endpoint, ROUTE, timeout_s=timeout_s,
                           variables=ids.variables)
    return build


def on(leg: str, make: Callable[[str], c.Command]) -> Callable[[Ids], c.Command]:
    return lambda ids: make(ids.leg(leg).channel_id)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "originate_answer_hangup", "the customer answers; the core hangs up (normal clearing)",
        steps=(Step(originate()), Step(on("primary", c.Hangup), after=ev(e.Answered))),
        expected=(ev(e.ChannelCreated), ev(e.Answered), ev(e.HungUp, cause=16)),
    ),
    Scenario(
        "originate_busy", "the customer is busy: the originate fails with 17 and nothing answers",
        steps=(Step(originate()),),
        expected=(ev(e.OriginateFailed, cause=17),),
        observed=frozenset({e.Answered, e.OriginateFailed}),
    ),
    Scenario(
        "originate_no_answer", "it rings, nobody answers within the 3 s originate timeout: 19",
        steps=(Step(originate(timeout_s=3)),),
        expected=(ev(e.ChannelCreated), ev(e.Ringing),
                  ev(e.HungUp, cause=19), ev(e.OriginateFailed, cause=19)),
        unordered_tail=2,
        observed=frozenset({e.ChannelCreated, e.Ringing, e.Answered, e.HungUp, e.OriginateFailed}),
    ),
    Scenario(
        "bridge_two_legs", "two answered legs are bridged; hanging up one ends the bridge",
        steps=(Step(originate("primary")),
               Step(originate("secondary"), after=ev(e.Answered)),
               Step(lambda ids: c.Bridge(ids.leg("primary").channel_id, ids.leg("secondary").channel_id),
                    after=ev(e.Answered, "secondary")),
               Step(on("primary", c.Hangup), after=ev(e.Bridged, other="secondary"))),
        expected=(ev(e.ChannelCreated), ev(e.Answered), ev(e.Bridged, other="secondary"),
                  ev(e.Unbridged, other="secondary"), ev(e.HungUp, cause=16),
                  ev(e.ChannelCreated, "secondary"), ev(e.Answered, "secondary"),
                  ev(e.Bridged, "secondary", other="primary"), ev(e.Unbridged, "secondary", other="primary"),
                  ev(e.HungUp, "secondary", cause=16)),
    ),
    Scenario(
        "dtmf", "the customer answers and presses 1 2 #; the core hangs up after #",
        steps=(Step(originate()), Step(on("primary", c.Hangup), after=ev(e.Dtmf, digit="#"))),
        expected=(ev(e.ChannelCreated), ev(e.Answered), ev(e.Dtmf, digit="1"), ev(e.Dtmf, digit="2"),
                  ev(e.Dtmf, digit="#"), ev(e.HungUp, cause=16)),
    ),
    Scenario(
        "record_start_stop", "an answered call is recorded, the recording stopped, the call hung up",
        steps=(Step(originate()),
               Step(lambda ids: c.StartRecording(ids.primary.channel_id, ids.recording),
                    after=ev(e.Answered)),
               Step(lambda ids: c.StopRecording(ids.primary.channel_id, ids.recording),
                    after=ev(e.RecordingStarted)),
               Step(on("primary", c.Hangup), after=ev(e.RecordingStopped))),
        expected=(ev(e.ChannelCreated), ev(e.Answered), ev(e.RecordingStarted, path=RECORDING),
                  ev(e.RecordingStopped, path=RECORDING), ev(e.HungUp, cause=16)),
    ),
    Scenario(
        "amd_machine_beep", "an answering machine: AMD says MACHINE, the core hangs up",
        steps=(Step(originate()),
               Step(on("primary", c.StartAmd), after=ev(e.Answered)),
               Step(on("primary", c.Hangup), after=ev(e.AmdResult))),
        expected=(ev(e.ChannelCreated), ev(e.Answered), ev(e.AmdResult, verdict=e.AmdVerdict.MACHINE),
                  ev(e.HungUp, cause=16)),
    ),
    Scenario(
        "inbound_call", "a call from the carrier reaches the node: the core learns who calls which number "
        "on which trunk while it rings (no far end rings, nothing answers), then refuses it (21)",
        steps=(Step(on("primary", lambda ch: c.Hangup(ch, cause=21)), after=ev(e.CallArrived)),),
        expected=(ev(e.ChannelCreated),
                  ev(e.CallArrived, caller_number=CALLER_NUMBER, caller_name=CALLER_NAME,
                     dialed_number=ARRIVING_NUMBER, endpoint=CARRIER),
                  ev(e.HungUp, cause=21)),
        observed=frozenset({e.ChannelCreated, e.CallArrived, e.Ringing, e.Answered, e.HungUp}),
        arrives=("primary",),
    ),
)
BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}


def _per_leg(scenario: Scenario, ids: Ids, events: Iterable[e.Event]) -> dict[str, list[e.CallEvent]]:
    channels = {ids.leg(name).channel_id: name for name in scenario.legs()}
    kinds = tuple(scenario.kinds())
    out: dict[str, list[e.CallEvent]] = {name: [] for name in scenario.legs()}
    for event in events:
        if isinstance(event, kinds) and event.channel_id in channels:
            out[channels[event.channel_id]].append(event)
    return out


def arrived(scenario: Scenario, ids: Ids, events: Iterable[e.Event]) -> Ids:
    """``ids`` with each arriving leg's channel id taken from its ``CallArrived`` (by the number
    it dialed), once one came; a live run knows that id only then."""
    events = list(events)
    for name in scenario.arrives:
        leg = ids.leg(name)
        calls = [x for x in events if isinstance(x, e.CallArrived) and x.dialed_number == leg.number]
        if calls and not leg.channel_id:
            ids = dataclasses.replace(ids, **{name: dataclasses.replace(leg, channel_id=calls[0].channel_id)})
    return ids


def all_arrived(scenario: Scenario, ids: Ids, events: Iterable[e.Event]) -> bool:
    bound = arrived(scenario, ids, events)
    return all(bound.leg(name).channel_id for name in scenario.arrives)


def due(scenario: Scenario, ids: Ids, events: Iterable[e.Event], done: int) -> list[Step]:
    """The steps to execute now, given the events so far and how many steps already ran."""
    events = list(events)
    ready = []
    for step in scenario.steps[done:]:
        if step.after is not None and not seen(step.after, ids, events):
            break
        ready.append(step)
    return ready


def seen(expect: Expect, ids: Ids, events: Iterable[e.Event]) -> bool:
    return any(expect.matches(event, ids) for event in events)


def settled(scenario: Scenario, ids: Ids, events: Iterable[e.Event]) -> bool:
    """Enough events arrived on every leg to compare (more than expected is a difference too)."""
    got = _per_leg(scenario, ids, events)
    return all(len(got[leg]) >= sum(1 for x in scenario.expected if x.leg == leg) for leg in got)


def differences(scenario: Scenario, ids: Ids, events: Iterable[e.Event]) -> list[str]:
    """Empty when the adapter produced exactly the expected events (per leg, in order)."""
    events = list(events)
    problems = []
    for leg, got in _per_leg(scenario, ids, events).items():
        want = [x for x in scenario.expected if x.leg == leg]
        attempt, channel = ids.leg(leg).attempt_id, ids.leg(leg).channel_id
        problems += [f"{leg}: {type(g).__name__} has attempt {g.attempt_id!r}, not {attempt!r}"
                     for g in got if (g.attempt_id or "") != attempt]
        problems += [f"{leg}: {type(g).__name__} has call {g.call_id!r}, not {channel!r}"
                     for g in got if g.call_id != channel]
        if len(got) != len(want):
            problems.append(f"{leg}: expected {[x.describe() for x in want]}, got {got}")
            continue
        tail = scenario.unordered_tail if scenario.unordered_tail and leg == "primary" else 0
        head_want, tail_want = want[: len(want) - tail], want[len(want) - tail:]
        head_got, tail_got = got[: len(got) - tail], got[len(got) - tail:]
        problems += [f"{leg}: expected {x.describe()}, got {g}"
                     for x, g in zip(head_want, head_got, strict=True) if not x.matches(g, ids)]
        for x in tail_want:
            match = next((g for g in tail_got if x.matches(g, ids)), None)
            if match is None:
                problems.append(f"{leg}: expected {x.describe()} among {tail_got}")
            else:
                tail_got.remove(match)
    return problems
