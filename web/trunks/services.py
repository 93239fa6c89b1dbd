"""Trunk operations, independent of Flask.

A save is "commit, then reload": the caller commits the row, then
:func:`web.seats.services.provision` renders every node the trunk is (or was)
on from what is committed, so a reload that fails leaves the database right
and the next provisioning catches up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from provisioning.trunks import TrunkConf, TrunkError
from store.enums import SipTransport, T38Mode, TrunkAuth
from store.models import Campaign, PbxNode, Seat, Trunk
from store.sealing import Sealer


@dataclass(frozen=True)
class TrunkInput:
    """The form as typed: lists are one item a line (or comma-separated)."""

    name: str
    host: str
    port: int
    transport: str
    auth: str
    username: str
    secret: str
    allowed_addresses: str
    codecs: Sequence[str]
    channel_limit: int
    caller_id: str
    strip_prefix: str
    add_prefix: str
    dids: str
    node_ids: Sequence[int]
    enabled: bool = True
    t38: str = T38Mode.REDUNDANCY.value
    t38_max_datagram: int = 400


def _items(text: str) -> tuple[str, ...]:
    """One item a line or comma-separated; spaces inside an item stay (``+44 20 7123 4567``)."""
    return tuple(item.strip() for item in text.replace(",", "\n").splitlines() if item.strip())


def conf(row: Trunk, sealer: Sealer) -> TrunkConf:
    """The row as provisioning renders it (a row edited outside the form may raise ``TrunkError``)."""
    return TrunkConf(
        name=row.name, host=row.host, port=row.port, transport=row.transport, auth=row.auth,
        username=row.username, secret=sealer.open(row.secret) if row.secret else "",
        allowed_addresses=tuple(row.allowed_addresses or ()),
        codecs=tuple(row.codecs or ()), channel_limit=row.channel_limit, caller_id=row.caller_id,
        strip_prefix=row.strip_prefix, add_prefix=row.add_prefix, dids=tuple(row.dids or ()),
        t38=row.t38, t38_max_datagram=row.t38_max_datagram,
    )


def node_trunks(session: Session, node: PbxNode, sealer: Sealer) -> list[TrunkConf]:
    """The managed, enabled trunks ``node`` carries, ready to render."""
    return [conf(row, sealer) for row in _carried(session, node)]


def _carried(session: Session, node: PbxNode, *criteria: ColumnElement[bool]) -> Sequence[Trunk]:
    """The managed, enabled trunks on ``node`` (that meet ``criteria``)."""
    on_node = Trunk.nodes.any(PbxNode.id == node.id)
    return session.scalars(select(Trunk).where(Trunk.managed, Trunk.enabled, on_node, *criteria)).all()


def g711_numbers(session: Session, node: PbxNode, numbers: Iterable[str]) -> tuple[str, ...]:
    """Which of ``numbers`` (fax DIDs as the dialplan has them: E.164 without "+") a trunk with T.38 off
    delivers on ``node``: FreeSWITCH ties a call from an IP-authenticated trunk to no gateway, so its fax
    route decides by the number called."""
    off = _carried(session, node, Trunk.t38 == T38Mode.OFF)
    g711 = {did.lstrip("+") for row in off for did in row.dids or ()}
    return tuple(n for n in numbers if n in g711)


def _checked(session: Session, sealer: Sealer, data: TrunkInput, row: Trunk | None) -> TrunkConf:
    try:
        checked = TrunkConf(
            name=data.name.strip(), host=data.host.strip(), port=data.port,
            transport=SipTransport(data.transport), auth=TrunkAuth(data.auth), username=data.username.strip(),
            # Editing a registration trunk without retyping its secret keeps the stored one.
            secret=data.secret.strip() or (sealer.open(row.secret) if row and row.secret else ""),
            allowed_addresses=_items(data.allowed_addresses), codecs=tuple(data.codecs),
            channel_limit=data.channel_limit, caller_id=data.caller_id.strip(),
            strip_prefix=data.strip_prefix.strip(), add_prefix=data.add_prefix.strip(),
            dids=_items(data.dids), t38=T38Mode(data.t38), t38_max_datagram=data.t38_max_datagram,
        )
    except ValueError as exc:  # TrunkError, or a transport / auth / T.38 mode the form does not offer
        raise TrunkError(str(exc)) from None
    _unique(session, checked, row)
    return checked


def _unique(session: Session, checked: TrunkConf, row: Trunk | None) -> None:
    """Names share the PJSIP namespace with the seats; a DID rings on one trunk only."""
    others = select(Trunk).where(Trunk.id != row.id) if row else select(Trunk)
    if session.scalar(others.where(Trunk.name == checked.name)) is not None:
        raise TrunkError(f"a trunk named {checked.name!r} exists already")
    if session.scalar(select(Seat.id).where(Seat.extension.in_([checked.name, f"{checked.name}-auth"]))
                      .limit(1)) is not None:
        raise TrunkError(f"{checked.name!r} is a seat's name: a trunk needs a name of its own")
    taken = {did: other.name for other in session.scalars(others)
             for did in other.dids or () if did in checked.dids}
    if taken:
        did, name = next(iter(taken.items()))
        raise TrunkError(f"DID {did} is delivered by trunk {name!r} already")


def save(session: Session, sealer: Sealer, data: TrunkInput, row: Trunk | None = None,
         ) -> tuple[Trunk, list[PbxNode]]:
    """Create or update a trunk (flushed, not committed); returns it and every node to re-provision."""
    checked = _checked(session, sealer, data, row)
    nodes = list(session.scalars(select(PbxNode).where(PbxNode.id.in_(data.node_ids or [0]))))
    if not nodes:
        raise TrunkError("pick the node(s) the trunk is on")
    before = list(row.nodes) if row else []
    if row is not None:
        _keeps_remote_seats(session, row, nodes)
    if row is None:
        row = Trunk()
        session.add(row)
    elif row.name != checked.name:
        # Campaigns pick a trunk by name: they follow the rename.
        for campaign in session.scalars(select(Campaign).where(Campaign.trunk == row.name)):
            campaign.trunk = checked.name
    row.name, row.host, row.port = checked.name, checked.host, checked.port
    row.transport, row.auth = checked.transport, checked.auth
    registered = checked.auth is TrunkAuth.REGISTRATION
    # Sealed at rest like seat and node secrets (store.sealing); opened only to render the PBX's config.
    row.username, row.secret = (checked.username, sealer.seal(checked.secret)) if registered else ("", "")
    row.allowed_addresses, row.codecs, row.dids = (list(checked.allowed_addresses), list(checked.codecs),
                                                   list(checked.dids))
    row.channel_limit, row.caller_id = checked.channel_limit, checked.caller_id
    row.strip_prefix, row.add_prefix = checked.strip_prefix, checked.add_prefix
    row.t38, row.t38_max_datagram = checked.t38, checked.t38_max_datagram
    row.managed, row.enabled, row.nodes = True, data.enabled, nodes
    session.flush()
    return row, _union(before, nodes)


def _keeps_remote_seats(session: Session, row: Trunk, nodes: Sequence[PbxNode]) -> None:
    """A remote seat's runner dials through its trunk: the trunk stays on that seat's node."""
    kept = {n.id for n in nodes}
    stranded = session.scalars(select(Seat.extension).where(Seat.trunk_id == row.id,
                                                            Seat.node_id.not_in(kept)).limit(3)).all()
    if stranded:
        raise TrunkError(f"trunk {row.name!r} reaches remote seat(s) {', '.join(stranded)} on a node taken "
                         "off it: keep that node, or pick another trunk for them first")


def delete(session: Session, row: Trunk) -> list[PbxNode]:
    """Delete a trunk no campaign uses; returns the nodes to re-provision."""
    users = session.scalars(select(Campaign.name).where(Campaign.trunk == row.name).limit(3)).all()
    if users:
        raise TrunkError(f"trunk {row.name!r} is used by campaign(s) {', '.join(users)}: "
                         "pick another trunk there first")
    seats = session.scalars(select(Seat.extension).where(Seat.trunk_id == row.id).limit(3)).all()
    if seats:
        raise TrunkError(f"trunk {row.name!r} reaches remote seat(s) {', '.join(seats)}: "
                         "pick another trunk there first")
    nodes = list(row.nodes)
    session.delete(row)
    session.flush()
    return nodes


def _union(*groups: Iterable[PbxNode]) -> list[PbxNode]:
    return list({node.id: node for group in groups for node in group}.values())
