"""A campaign's dialing settings, as the core sees them (the runner builds this from the DB row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from orchestrator.amd import CadenceParams, MachineAction
from orchestrator.compliance import WINDOWS, AbandonCounter, ComplianceProfile
from orchestrator.leads.rules import LeadRules
from orchestrator.quality.survey import SurveyConfig


class DialMode(StrEnum):
    PREVIEW = "preview"  # the agent sees the lead and triggers the call
    PROGRESSIVE = "progressive"  # one line per ready agent
    PREDICTIVE = "predictive"  # the pacing policy decides


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    campaign_id: int
    mode: DialMode
    trunk: str = "world"
    caller_id: str = ""
    amd: bool = True  # ignored in preview mode: the agent hears the answer
    machine_action: MachineAction = MachineAction.HANGUP
    #: True when the PBX's outbound route already hangs up / leaves the message on a
    #: MACHINE verdict (the Asterisk templates branch on ``sb_amd_action``); the core
    #: then only records the verdict. False (FreeSWITCH): the core sends the command.
    route_handles_machines: bool = False
    record_calls: bool = True  # MixMonitor every connected call (started with the bridge)
    message_sound: str = ""
    abandon_sound: str = ""
    #: A human not bridged this long after the end of their greeting must hear the abandon
    #: message (the compliance profile's limit: 2 s in the US and the UK).
    abandon_after_s: float = 2.0
    #: Silence a detector waits for after a greeting before its HUMAN verdict, when the
    #: verdict does not say (Asterisk's ``after_greeting_silence``).
    amd_verdict_lag_s: float = 0.0
    #: Redirecting a channel and starting its playback takes this long: the redirect
    #: goes out this much before the limit.
    message_lead_s: float = 0.3
    #: No verdict this long after answer: treat as NOTSURE (connect, do not strand the call).
    amd_timeout_s: float = 6.0
    #: Greeting-cadence AMD (PBXes that report voice cues rather than a verdict: FreeSWITCH).
    cadence: CadenceParams = field(default_factory=CadenceParams)
    wrap_up_s: float = 30.0  # wrap-up ends by this timer or by the agent's disposition
    ring_timeout_s: int = 25
    abandon_cap: float = 0.03
    max_lines: int = 100  # concurrent customer lines this campaign may hold on the node
    #: The trunk's channel limit (0: none): with the node's ``TrunkLines`` the campaign dials only
    #: into what every holder on the trunk (other campaigns, remote agents' legs, callers) leaves free.
    trunk_limit: int = 0
    max_originates_per_tick: int = 10  # burst throttle: the node sustains ~20 originates/s with AMD
    compliance: ComplianceProfile = ComplianceProfile.US
    #: The rolling windows ``abandon_cap`` is enforced over (the profile's and the campaign's own).
    abandon_windows: tuple[float, ...] = WINDOWS
    amd_false_positive_rate: float = 0.0
    lead_rules: LeadRules = field(default_factory=LeadRules)
    #: The satisfaction survey a customer hears after their agent ends the call (None: hung up).
    survey: SurveyConfig | None = None

    def abandon_counter(self) -> AbandonCounter:
        """A counter that reports exactly the windows this campaign's brake must hold."""
        return AbandonCounter(self.compliance, self.amd_false_positive_rate, windows=self.abandon_windows)

    @property
    def uses_amd(self) -> bool:
        return self.amd and self.mode is not DialMode.PREVIEW

    @property
    def abandon_deadline_s(self) -> float:
        """From the greeting's end to the abandon redirect."""
        return max(0.0, self.abandon_after_s - self.message_lead_s)

    @property
    def wait_after_verdict_s(self) -> float:
        """How long a live customer can wait for an agent once the dialer knows about them."""
        lag = self.amd_verdict_lag_s if self.uses_amd else 0.0
        return max(0.2, self.abandon_deadline_s - lag)
