"""Rendered dialplan routes the core names in Originate/Redirect.

Each PBX's templates (``dialplans/``) say what a route does there; the core
only names them. The channel variables below are set on every customer
originate so the routes can act without asking the core.
"""

OUTBOUND = "sb-outbound"  # customer leg: AMD if sb_amd=yes, then wait for the bridge
ABANDON = "sb-abandon"  # play the campaign's abandon message, hang up
LEAVE_MESSAGE = "sb-leave-message"  # wait for the machine's beep, play the message, hang up
AGENT_HOLD = "sb-agent-hold"  # nailed-up agent leg: answer, hold until bridged, return after

ALL = (OUTBOUND, ABANDON, LEAVE_MESSAGE, AGENT_HOLD)

# Channel variables (in addition to commands.ATTEMPT_VAR).
VAR_CAMPAIGN = "sb_campaign_id"
VAR_LEAD = "sb_lead_id"
VAR_AGENT = "sb_agent_id"
VAR_AMD = "sb_amd"  # "yes" / "no"
VAR_AMD_ACTION = "sb_amd_action"  # "hangup" / "message"
VAR_MESSAGE_SOUND = "sb_message_sound"
VAR_ABANDON_SOUND = "sb_abandon_sound"
