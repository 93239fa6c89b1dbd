"""Run a capture's server bytes through the framer and translator, primed as the live client primes them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from esl.framing import Framer, parse_event
from esl.translate import Translator
from orchestrator import commands as c
from orchestrator import events as e
from tests.esl.capture import Capture

_ORIGINATE = re.compile(r"(bg)?api originate \{(?P<vars>[^}]*)\}")


def originates(cap: Capture) -> list[tuple[c.Originate, str]]:
    """The capture's originates as core commands, with the Job-UUID FreeSWITCH used for each bgapi."""
    job_of = {r["offset"]: r.get("Job-UUID", "") for r in cap.replies}
    found = []
    for command in cap.commands:
        match = _ORIGINATE.match(command.text)
        if not match:
            continue
        variables = dict(item.split("=", 1) for item in match["vars"].split(","))
        # We always choose the uuid; FreeSWITCH chose it in the captures that lack one.
        channel_id = variables.get("origination_uuid") or str(uuid.uuid5(uuid.NAMESPACE_OID, command.text))
        originate = c.Originate(variables[c.ATTEMPT_VAR], channel_id,
                                c.Endpoint(c.EndpointKind.TRUNK, "lab", "1234"), "sb-outbound")
        found.append((originate, job_of.get(command.server_offset, "")))
    return found


def translate(cap: Capture, reads: Iterable[bytes] | None = None) -> list[e.Event]:
    translator = Translator()
    for originate, job in originates(cap):
        translator.state.expect(originate, job)
    framer = Framer()
    out: list[e.Event] = []
    for chunk in [cap.server] if reads is None else reads:
        for frame in framer.feed(chunk):
            if frame.is_event:
                out.extend(translator.translate(parse_event(frame), now=0.0))
    return out


def for_channel(events: Iterable[e.Event], channel_id: str) -> list[e.Event]:
    return [ev for ev in events if isinstance(ev, e.CallEvent) and ev.channel_id == channel_id]


def kinds(events: Iterable[e.Event]) -> list[str]:
    return [type(ev).__name__ for ev in events]
