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

from tests.contract import scenarios as s


@dataclass(frozen=True)
class AmiBinding:
    numbers: dict[str, str]  # leg -> number dialed on the world
    context: str = "sbtest-park"

    @property
    def routes(self) -> dict[str, str]:
        return {s.ROUTE: self.context}


BINDINGS: dict[str, AmiBinding] = {
    "originate_answer_hangup": AmiBinding({"primary": "100"}),
    "originate_busy": AmiBinding({"primary": "486"}),
    "originate_no_answer": AmiBinding({"primary": "408"}),
    "bridge_two_legs": AmiBinding({"primary": "100", "secondary": "100"}),
    "dtmf": AmiBinding({"primary": "102"}),  # the world answers and sends 1 2 #
    "record_start_stop": AmiBinding({"primary": "100"}),
    "amd_machine_beep": AmiBinding({"primary": "103"}, context="sbtest-amd"),
}

