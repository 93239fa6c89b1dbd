"""The dialer core: one pure, deterministic state machine per campaign.

A campaign's dialer is one of the units a node hosts (``orchestrator.node``);
its agents are the ones it claimed from the node's pool. How a runner
(AMI/asyncio or ESL/gevent) drives it::

    host = NodeHost()
    host.add(CampaignDialer(config, leads, dnc, pool=host.pool, policy=policy,
                            counter=counter, open_attempts=store_open_attempts))
    for every adapter event and every desk input (AgentLogin, AgentStateChanged,
    PreviewDial, Disposition), and on a timer (Tick):
        for campaign, step in host.handle(event):
            persist step.facts in one transaction (facts.py says what each is), then
            send step.commands to the PBX in order
    tick at least every ~0.2 s and no later than host.next_wakeup()

* Ports (``ports.py``): ``LeadSource.claim(n, now)`` (the store's claim, e.g.
  ``claim_leads``), ``DncList.blocks(number, now)``; ids default to uuid4.
* Send ``PbxConnected(live_channel_ids)`` after every (re)connect: nothing is
  dialed before it, and calls whose channel is gone end as ``LOST``.
* After a runner restart pass the store's started-but-not-ended attempts as
  ``open_attempts`` (do *not* release their leads first: their calls may be
  live) and re-send ``AgentLogin`` for the logged-in agents.
* The node hands every event to every dialer: each ignores calls, agents and
  inputs that are not its own.
* Routes and channel variables the PBX side must provide: ``routes.py``.
"""

from orchestrator.dialer.config import CampaignConfig, DialMode
from orchestrator.dialer.core import CampaignDialer, Step
from orchestrator.dialer.ports import DncList, IdFactory, LeadSource, OpenAttempt

__all__ = [
    "CampaignConfig",
    "CampaignDialer",
    "DialMode",
    "DncList",
    "IdFactory",
    "LeadSource",
    "OpenAttempt",
    "Step",
]
