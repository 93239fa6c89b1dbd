"""The live FreeSWITCH tests' event watcher: :class:`lab.esl_watcher.EventSocket` (shared with
``bench.live``), re-exported so the tests keep importing it from one place."""

from __future__ import annotations

from lab.esl_watcher import EventSocket

__all__ = ["EventSocket"]
