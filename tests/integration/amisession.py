"""The tests' AMI session is :mod:`switchboard.ami_session` (shared with ``bench.live``)."""

from switchboard.ami_session import AmiSession, ami_session, event_of

__all__ = ["AmiSession", "ami_session", "event_of"]
