"""The registry of fact writers: how each kind of the core's facts becomes rows.

Each module of this package writes one area (attempts and their calls,
recordings, agents, leads, dispositions, compliance counts) and registers one
writer per fact kind with :func:`writes`; a new fact kind gets its writer in the
module of its area (or a new module here), and nothing central changes.
:func:`writer_for` loads every module of the package the first time it is asked.

A writer runs inside the runner's transaction for one step (``runner.persist``)
and may rely on the rows of the facts before it having been flushed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from orchestrator.step import Fact

F = TypeVar("F", bound=Fact)


@dataclass(frozen=True)
class Target:
    """Where the facts happened: this runner's node and the campaign whose dialer reported them
    (None: facts of no campaign, the node's faxes)."""

    node_id: int
    campaign_id: int | None


Writer = Callable[[Target, Session, Any], None]
_WRITERS: dict[type[Fact], Writer] = {}
_loaded = False


class NoWriter(LookupError):
    """A fact kind nobody registered a writer for: a programming error, never skipped silently."""


def writes(kind: type[F]) -> Callable[[Callable[[Target, Session, F], None]],
                                      Callable[[Target, Session, F], None]]:
    """Register the decorated function as the one writer of ``kind``."""

    def register(writer: Callable[[Target, Session, F], None]) -> Callable[[Target, Session, F], None]:
        if kind in _WRITERS:
            first = _WRITERS[kind].__module__
            raise ValueError(f"two writers for {kind.__name__}: {first} and {writer.__module__}")
        _WRITERS[kind] = writer
        return writer

    return register


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def writer_for(kind: type[Fact]) -> Writer:
    """The writer registered for ``kind``; :class:`NoWriter` if there is none."""
    _load_all()
    try:
        return _WRITERS[kind]
    except KeyError:
        raise NoWriter(f"no writer registered for the fact {kind.__name__}") from None


def registered() -> frozenset[type[Fact]]:
    """Every fact kind that has a writer."""
    _load_all()
    return frozenset(_WRITERS)
