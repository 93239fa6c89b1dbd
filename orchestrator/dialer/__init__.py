"""The dialer core: one pure, deterministic state machine per campaign.

``CampaignDialer.handle(event) -> Step`` takes PBX events (``orchestrator.events``)
and desk inputs (``orchestrator.dialer.inputs``) and returns the PBX commands to
send plus the facts to persist. The live AMI runner and the ESL runner drive it
the same way; the database and the PBX stay on their side of the ports.
"""

from orchestrator.dialer.config import CampaignConfig, DialMode, MachineAction
from orchestrator.dialer.core import CampaignDialer, Step
from orchestrator.dialer.ports import DncList, IdFactory, LeadSource, OpenAttempt

__all__ = [
    "CampaignConfig",
    "CampaignDialer",
    "DialMode",
    "DncList",
    "IdFactory",
    "LeadSource",
    "MachineAction",
    "OpenAttempt",
    "Step",
]
