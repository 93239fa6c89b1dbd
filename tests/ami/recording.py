"""Recorded AMI sessions: raw bytes from Asterisk plus the commands we sent.

A recording ``<name>`` is two files in ``tests/ami/recordings``:

* ``<name>.ami``  -- every byte Asterisk sent on the AMI socket, unmodified
  (greeting, login reply, events), exactly as read from TCP;
* ``<name>.json`` -- what was done: a description, the core commands the
  recorder executed (a replay primes the translator with them exactly like
  the live client does when it sends them), every AMI action it sent with the
  number of bytes it had received by then (``sent``: lets a fake server replay
  the session to a real client) and, for contract scenarios, the leg ids.

Recordings named ``contract_<scenario>`` play the PBX-neutral scenarios of
``tests/contract/scenarios.py``.

``tests/ami/record.py`` (re)creates them against a real Asterisk.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import commands as c

RECORDINGS = Path(__file__).with_name("recordings")
CONTRACT_PREFIX = "contract_"


def command_to_json(cmd: c.Command) -> dict[str, Any]:
    fields = {}
    for f in dataclasses.fields(cmd):
        value = getattr(cmd, f.name)
        if isinstance(value, c.Endpoint):
            value = {"kind": value.kind.value, "name": value.name, "number": value.number}
        elif f.name == "variables":
            value = dict(value)
        fields[f.name] = value
    return {"type": type(cmd).__name__, "fields": fields}


def command_from_json(data: dict[str, Any]) -> c.Command:
    fields = dict(data["fields"])
    if "endpoint" in fields:
        ep = fields["endpoint"]
        fields["endpoint"] = c.Endpoint(c.EndpointKind(ep["kind"]), ep["name"], ep["number"])
    return getattr(c, data["type"])(**fields)


@dataclass(frozen=True)
class Recording:
    name: str
    description: str
    commands: tuple[c.Command, ...]
    data: bytes
    sent: tuple[dict[str, Any], ...] = ()  # {"offset": bytes received before, "action": headers}
    ids: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str) -> Recording:
        meta = json.loads((RECORDINGS / f"{name}.json").read_text())
        return cls(
            name=name,
            description=meta["description"],
            commands=tuple(command_from_json(x) for x in meta["commands"]),
            data=(RECORDINGS / f"{name}.ami").read_bytes(),
            sent=tuple(meta.get("sent", ())),
            ids=meta.get("ids", {}),
        )

    def save(self) -> None:
        RECORDINGS.mkdir(exist_ok=True)
        (RECORDINGS / f"{self.name}.ami").write_bytes(self.data)
        meta = {"description": self.description, "commands": [command_to_json(x) for x in self.commands],
                "sent": list(self.sent), "ids": self.ids}
        (RECORDINGS / f"{self.name}.json").write_text(json.dumps(meta, indent=1) + "\n")


def names() -> list[str]:
    """The adapter's own scenarios (see ``tests/ami/record.py``)."""
    return sorted(p.stem for p in RECORDINGS.glob("*.ami") if not p.stem.startswith(CONTRACT_PREFIX))


def contract_names() -> list[str]:
    return sorted(p.stem for p in RECORDINGS.glob(f"{CONTRACT_PREFIX}*.ami"))
