"""Blind transfer of a live customer call from one agent to another agent of the same node.

The agent on the call picks a colleague in their panel; the web writes a desk request and the
node's runner hands the core a :class:`TransferCall`. Whether it can be done is decided here, on
the node's agent pool (the one place that knows who is free right now), before anything moves:

* the agent asking is logged in here and ON_CALL on a customer (their unit holds the call);
* the target is another agent logged in here, READY with their nailed-up leg up, not reserved
  by an inbound queue nor leaving (their pacer already plans without them then).

A refused transfer changes nothing and records :class:`TransferRefused` (the runner fails the
desk request with the reason, which the panel shows). An accepted one first lends the target to
the unit that holds the call (:meth:`AgentPool.lend`: the target was idle, so no unit is using
them), then that unit carries it out (``CallFlow.transfer``, ``InboundQueue``): the customer's
channel is bridged to the target's leg (``AgentBoard.hand_over``; the PBX moves it out of the first agent's
bridge, the first agent's leg stays up in its hold route), the target is ON_CALL, the first agent goes to
WRAP_UP with the call still theirs to dispose of for their part, and :class:`CallTransferred`
is recorded. The recording started at the first bridge is on the customer's channel, so it goes
on through the second agent's part: one recording per call.

When the target's call and wrap-up end they are free again, and the blending gives them back to
a unit they serve (the call's unit only if they serve it), as after any call.
"""

from __future__ import annotations

from orchestrator.agents.pool import AgentPool
from orchestrator.dialer.facts import CallTransferred, TransferRefused
from orchestrator.dialer.inputs import TransferCall
from orchestrator.events import AgentState

__all__ = ["CallTransferred", "TransferCall", "TransferRefused", "lend", "refusal"]


def refusal(pool: AgentPool, request: TransferCall) -> str | None:
    """Why ``request`` cannot be carried out on this node now (None: it can)."""
    agent = pool.get(request.agent_id)
    if agent is None:
        return "you are not logged in on this node"
    if agent.state is not AgentState.ON_CALL or agent.attempt_id is None or agent.unit is None:
        return "you are not on a call"
    if request.to_agent_id == request.agent_id:
        return "the call is yours already: choose another agent"
    target = pool.get(request.to_agent_id)
    if target is None:
        return "that agent is not logged in on the call's node"
    if target.state is not AgentState.READY or target.leg is None or not target.leg_up:
        return f"that agent is not ready (they are {target.state.value.replace('_', ' ')})"
    if target.reserved is not None or target.leaving is not None or target.pending is not None:
        return "that agent is about to leave or is reserved for an inbound caller"
    return None


def lend(pool: AgentPool, request: TransferCall) -> bool:
    """Give the target to the unit holding the asker's call, if :func:`refusal` has nothing to say."""
    agent, target = pool.get(request.agent_id), pool.get(request.to_agent_id)
    if refusal(pool, request) is not None or agent is None or agent.unit is None or target is None:
        return False
    pool.lend(target, agent.unit)
    return True

