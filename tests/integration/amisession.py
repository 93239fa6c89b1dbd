"""The tests' AMI session is :mod:`lab.ami_session` (shared with ``bench.live``)."""

from lab.ami_session import AmiSession, ami_session, event_of

__all__ = ["AmiSession", "ami_session", "event_of"]
