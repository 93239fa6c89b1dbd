"""One PBX node as the core sees it: the units it hosts and how agents are shared among them.

* ``unit.py``: the :class:`~orchestrator.node.unit.Unit` protocol every hosted unit meets
  (an outbound campaign's ``CampaignDialer``, an inbound ``InboundQueue``);
* ``blending.py``: the one decision of which unit gets the next free agent;
* ``host.py``: :class:`~orchestrator.node.host.NodeHost`, which feeds every unit, keeps the
  node's agent pool (``orchestrator.agents``) and completes the hand-overs the blending asks for.
"""
