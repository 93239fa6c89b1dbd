"""Seat and node operations, independent of Flask.

Provisioning follows "commit, then reload": callers commit the seat changes
first and then call ``provision``, which renders from what is committed.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dialplans.render import DialplanParams
from provisioning import freeswitch, ivr, prompts
from provisioning.seats import (
    AmiTarget,
    SeatConf,
    provision_asterisk,
    registered_contacts,
    trunk_registrations,
)
from provisioning.trunks import TrunkError
from store import leases
from store.enums import PbxKind
from store.models import PbxNode, Seat, Team, Trunk
from store.sealing import Sealer
from web.phones import e164
from web.trunks.services import node_trunks

MAX_BULK = 1000
_SECRET_ALPHABET = string.ascii_letters + string.digits


class SeatError(ValueError):
    """A request the admin has to correct (message shown as is)."""


MIN_NODE_SECRET = 24


def strong_secret(length: int = 24) -> str:
    """~143 bits from the OS CSPRNG; letters and digits only, safe in any config file."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(length))


def create_node(
    session: Session, sealer: Sealer, name: str, kind: PbxKind, host: str, port: int, username: str,
    secret: str,
) -> PbxNode:
    name = name.strip()
    if not name or session.scalar(select(PbxNode.id).where(PbxNode.name == name)):
        raise SeatError("node name missing or already used")
    if not 0 < port < 65536 or not host.strip():
        raise SeatError("host and a port 1-65535 are required")
    # The node's secret opens its AMI/ESL and, for FreeSWITCH, xml_curl's answer with every seat's
    # password: never a guessable one. Empty: one is made (set it on the PBX as shown).
    secret = secret.strip() or strong_secret(MIN_NODE_SECRET)
    if len(secret) < MIN_NODE_SECRET:
        raise SeatError(f"a node secret needs {MIN_NODE_SECRET} characters or more (empty: one is made)")
    node = PbxNode(
        name=name, kind=PbxKind(kind), host=host.strip(), port=port, username=username,
        secret=sealer.seal(secret),
    )
    session.add(node)
    session.flush()
    return node


def set_standby(session: Session, node: PbxNode, standby: bool) -> None:
    """Give the node a standby runner (two runner processes share its lease) or not (one runner)."""
    if standby and not leases.possible(session.get_bind().dialect.name):
        raise SeatError(leases.NEEDS_POSTGRES)
    node.standby = standby
    session.flush()


@dataclass(frozen=True)
class BulkRequest:
    first: int
    last: int
    teams: int = 0  # 0: no team; N: split the range into N consecutive teams
    team_prefix: str = "Team"


def bulk_create_seats(session: Session, sealer: Sealer, node: PbxNode, req: BulkRequest) -> list[Seat]:
    """Create seats ``first..last`` with fresh secrets, spread over ``teams`` equal blocks.

    Existing extensions on the node are an error for the whole batch (nothing is
    created), so a typo never half-applies.
    """
    count = req.last - req.first + 1
    if req.first < 0 or count < 1 or count > MAX_BULK:
        raise SeatError(f"give a range of 1 to {MAX_BULK} extensions")
    if req.teams < 0 or req.teams > count:
        raise SeatError("number of teams must be between 0 and the number of seats")
    extensions = [str(n) for n in range(req.first, req.last + 1)]
    taken = set(
        session.scalars(select(Seat.extension).where(Seat.node_id == node.id, Seat.extension.in_(extensions)))
    )
    if taken:
        raise SeatError(f"extensions already exist on {node.name}: {', '.join(sorted(taken)[:10])}")
    trunks = set(session.scalars(select(Trunk.name).where(Trunk.name.in_(extensions))))
    if trunks:  # a seat and a trunk are both PJSIP endpoints: one name each
        raise SeatError(f"extensions are trunks' names: {', '.join(sorted(trunks)[:10])}")
    teams = [_team(session, f"{req.team_prefix} {i + 1}") for i in range(req.teams)]
    seats = []
    for index, extension in enumerate(extensions):
        team = teams[index * len(teams) // count] if teams else None
        seats.append(Seat(node=node, extension=extension, secret=sealer.seal(strong_secret()), team=team))
    session.add_all(seats)
    session.flush()
    return seats


@dataclass(frozen=True)
class RemoteInput:
    """A remote seat as typed: the outside number and the trunk of the seat's node that reaches it."""

    number: str
    trunk_id: int | None
    #: "Press 1 to accept": the agent's phone must press 1 before their leg counts as up.
    confirm: bool = True


def set_remote(session: Session, seat: Seat, data: RemoteInput) -> None:
    """Make ``seat`` a remote seat (or, with an empty number, a SIP seat again); flushed.

    The number is kept in E.164 ('+' and digits only: nothing the PBX could read as a second dial
    target); the trunk must be one of the seat's node, since that node's runner dials the leg.
    """
    if not data.number.strip():
        seat.remote_number, seat.trunk = "", None
        session.flush()
        return
    try:
        number = e164(data.number, "remote number")
    except ValueError as exc:
        raise SeatError(str(exc)) from None
    trunk = session.get(Trunk, data.trunk_id) if data.trunk_id is not None else None
    if trunk is None:
        raise SeatError("remote number: pick the trunk that reaches it")
    if seat.node_id not in {n.id for n in trunk.nodes}:
        raise SeatError(f"trunk {trunk.name} is not on node {seat.node.name}: pick one of that node's trunks")
    seat.remote_number, seat.trunk, seat.confirm_answer = number, trunk, data.confirm
    session.flush()


def remote_seat(session: Session, sealer: Sealer, node: PbxNode, extension: int, data: RemoteInput) -> Seat:
    """One new remote seat on ``node`` (its extension names it, as a SIP seat's does); flushed.

    It still gets a secret, never used while it is remote (a seat turned back into a SIP seat
    then has one).
    """
    if not data.number.strip():  # an empty number would make a SIP seat here
        raise SeatError("remote number: a phone number is required")
    (seat,) = bulk_create_seats(session, sealer, node, BulkRequest(extension, extension))
    set_remote(session, seat, data)
    return seat


def _team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
    return team


def esl_target(node: PbxNode, sealer: Sealer) -> freeswitch.EslTarget:
    return freeswitch.EslTarget(node.host, node.port, sealer.open(node.secret))


def ami_target(node: PbxNode, sealer: Sealer) -> AmiTarget:
    return AmiTarget(node.host, node.port, node.username, sealer.open(node.secret))


def provision(session: Session, sealer: Sealer, node: PbxNode, conf_path: Path, transport: str = "",
              params: DialplanParams | None = None, gateways_dir: Path | None = None) -> list[str]:
    """Render the node's configuration, write it, reload what changed; the changed files.

    Asterisk: the enabled seats, the trunks and the routes (with the IVR menus and their prompts).
    The seats file is the database's alone: a phone that must stay registered (the sandbox's own
    ``agent001``...) is a seat of the node in the database. FreeSWITCH fetches
    its seats and routes itself (mod_xml_curl): its trunks are written as sofia
    gateways into ``gateways_dir``, the IVR prompts beside it (``web.fsxml`` names them).
    """
    try:
        trunks = node_trunks(session, node, sealer)
    except TrunkError as exc:  # a row edited outside the form
        raise SeatError(f"a trunk of {node.name} cannot be rendered: {exc}") from None
    if node.kind is PbxKind.FREESWITCH:
        if gateways_dir is None:
            raise SeatError("no gateways directory is set for FreeSWITCH nodes (freeswitch_gateways_dir)")
        written = prompts.write_prompts(session, gateways_dir.parent / prompts.FREESWITCH_PROMPTS)
        return written + freeswitch.provision_gateways(gateways_dir, trunks, esl_target(node, sealer))
    # A remote seat is an outside number dialed through a trunk: no PJSIP endpoint.
    rows = session.scalars(select(Seat).where(Seat.node_id == node.id, Seat.enabled,
                                              Seat.remote_number == "")).all()
    seats = [SeatConf(s.extension, sealer.open(s.secret)) for s in rows]
    # The prompts first: the reloaded dialplan plays them at once.
    written = prompts.write_prompts(session, conf_path.parent / prompts.ASTERISK_PROMPTS)
    params = replace(params or DialplanParams(), ivr=ivr.asterisk_plan(session, node.id))
    return written + provision_asterisk(conf_path, seats, ami_target(node, sealer), transport, params, trunks)


def trunk_states(node: PbxNode, sealer: Sealer, names: Iterable[str]) -> dict[str, str] | None:
    """Live: trunk -> its registration (or, without one, its qualified contact) state on ``node``."""
    try:
        if node.kind is PbxKind.FREESWITCH:
            states = freeswitch.gateway_states(esl_target(node, sealer))
        else:
            states = trunk_registrations(ami_target(node, sealer))
    except (OSError, TimeoutError, ValueError):
        return None
    return {name: states.get(name, "not loaded") for name in names}


def registrations(node: PbxNode, sealer: Sealer) -> dict[str, str] | None:
    """Live: extension -> contact, from the node; None when the node cannot be asked.

    The one place that picks the question by node kind: AMI for Asterisk, ESL
    for FreeSWITCH (whose port is the event socket; AMI there only times out).
    """
    try:
        if node.kind is PbxKind.FREESWITCH:
            return freeswitch.registered_contacts(esl_target(node, sealer))
        return registered_contacts(ami_target(node, sealer))
    except (OSError, TimeoutError, ValueError):  # OSError: ConnectionError too; ValueError: a garbled answer
        return None
