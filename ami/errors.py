"""What can go wrong talking to Asterisk, in the words the runner needs to decide.

The distinction that matters: :class:`AmiNotConnected` means nothing was sent;
:class:`AmiConnectionLost` (and :class:`OriginateUncertain`) mean it was sent
and its fate is unknown -- never retry those, reconcile instead.
"""

from __future__ import annotations


class AmiError(Exception):
    pass


class AmiAuthError(AmiError):
    """Asterisk refused the login: a configuration error, not retried."""


class AmiNotConnected(AmiError):
    """No usable connection: the action was not sent."""


class AmiConnectionLost(AmiError):
    """The connection dropped before the reply: the action may or may not have run."""


class OriginateUncertain(AmiConnectionLost):
    def __init__(self, channel_id: str) -> None:
        super().__init__(f"originate {channel_id}: connection lost before Asterisk acknowledged it")
        self.channel_id = channel_id


class AmiActionFailed(AmiError):
    """Asterisk answered the action with an error."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.message = message
