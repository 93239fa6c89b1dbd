"""How the PBX-neutral contract scenarios run on the scratch Asterisk lab node.

The scenarios originate through trunk ``carrier`` (an endpoint of the scratch
PBX that reaches the world like ``world`` does) into route ``sb-outbound``
without channel variables. The lab maps that route per scenario to a context
of its own: ``sbtest-park`` keeps an answered leg up until hung up (and ends a
leg whose bridge ended, as FreeSWITCH's park does), ``sbtest-amd`` turns AMD
on (``sb_amd=yes``, machines get a message) and enters the real ``sb-outbound``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.ami import scratch_asterisk as scratch
from tests.contract import scenarios as s


@dataclass(frozen=True)
class AmiBinding:
    numbers: dict[str, str]  # leg -> number dialed on the world
    context: str = "sbtest-park"

    @property
    def routes(self) -> dict[str, str]:
        return {s.ROUTE: self.context}


BINDINGS: dict[str, AmiBinding] = {
    "originate_answer_hangup": AmiBinding({"primary": scratch.TALKS_20S}),
    "originate_busy": AmiBinding({"primary": scratch.BUSY}),
    "originate_no_answer": AmiBinding({"primary": scratch.NO_ANSWER}),
    "bridge_two_legs": AmiBinding({"primary": scratch.TALKS_20S, "secondary": scratch.TALKS_20S}),
    "dtmf": AmiBinding({"primary": scratch.SENDS_DTMF}),
    "record_start_stop": AmiBinding({"primary": scratch.TALKS_20S}),
    "amd_machine_beep": AmiBinding({"primary": scratch.MACHINE}, context="sbtest-amd"),
    # Recorded on the live sandbox (tests/contract/record_inbound.py): its world calls the pbx's DID.
    "inbound_call": AmiBinding({"primary": "15550100"}),
}

