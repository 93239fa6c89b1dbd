"""The dialer brain: pure decisions about calls, agents, leads and pacing.

Nothing here talks to a PBX. Adapters (``ami``, ``esl``) translate wire
messages into :mod:`orchestrator.events` and execute
:mod:`orchestrator.commands`; an import contract test keeps it that way.
"""
