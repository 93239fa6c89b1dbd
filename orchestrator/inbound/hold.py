"""A caller the queue moved to its wait route has arrived there: answered, on hold, ready to bridge.

The queue (``InboundQueue``) moves each caller it takes from where they arrived (``sb-inbound``
ringing, or an IVR's ringback) to ``sb-queue-wait`` with a ``Redirect``. The move is not done when
the command is sent: the PBX transfers the channel afterwards. A ``Bridge`` sent in the same step
raced that transfer, and FreeSWITCH once hung such a caller up (DESTINATION_OUT_OF_ORDER). So the
queue bridges a moved caller only after the wait route says the caller is there.

``Answered`` cannot say it: a caller an IVR menu sent on was answered by the menu long before, and
no second answer comes. The wait route's own milestone comes for both, once the caller is answered
in it, on both PBXes: Asterisk's ``UserEvent(SwitchboardQueued)`` and FreeSWITCH's
``switchboard::queued`` (``dialplans/``), each the ``DialplanSignal`` :data:`SIGNAL` through its
adapter (the ESL adapter subscribes to it by this name). The route reports it once per caller, not
again when they come back from a position announcement.
"""

SIGNAL = "queued"
