"""Rendered dialplan routes the core names in Originate/Redirect, and what each must do.

The core only names routes; each PBX's templates (``dialplans/``) implement
them. Customer originates carry the channel variables below (plus
``sb_attempt_id``), so the routes act without asking the core.

``sb-outbound`` (customer leg, after answer)
    Asterisk: if ``sb_amd=yes`` run ``AMD()`` and report the verdict (→
    ``AmdResult``); on MACHINE branch on ``sb_amd_action`` (then set
    ``CampaignConfig.route_handles_machines``); otherwise hold the customer
    (silence) until the core's AMI ``Bridge``, with a safety-net timer that
    goes to ``sb-abandon`` if no runner acts. FreeSWITCH: if ``sb_amd=yes``
    start avmd (beeps, ``AmdResult`` at any time) and report the greeting's
    cadence (→ ``VoiceDetected``, classified by ``orchestrator.amd``), then
    park; the core acts on the verdict itself.
``sb-abandon``
    Play ``sb_abandon_sound`` (the campaign's information message), report
    ``DialplanSignal("abandon")``, hang up.
``sb-leave-message``
    Wait for the machine's beep/silence, play ``sb_message_sound``, hang up.
``sb-agent-hold``
    The nailed-up agent leg: answer, hold (silence or music) indefinitely and
    come back to the hold after a bridge ends (Asterisk continues at the next
    priority; FreeSWITCH needs ``hangup_after_bridge=false`` and
    ``park_after_bridge=true`` or a transfer back) so the agent's phone stays
    connected between customers. With ``sb_confirm=yes`` ("press 1 to accept", a remote
    seat's phone) it first plays a short prompt and waits a few seconds for the key 1:
    pressed, it reports ``DialplanSignal("agent_confirmed")`` (Asterisk
    ``UserEvent(SwitchboardAgentConfirmed)``, FreeSWITCH ``switchboard::agent_confirmed``)
    and holds; not pressed (a voicemail answered, or nobody), it hangs up.
``sb-queue-wait`` (an inbound caller the core's queue took)
    Answer, report ``SwitchboardQueued`` (FreeSWITCH ``switchboard::queued``:
    ``orchestrator.inbound.hold``; the queue bridges the caller only after it),
    play hold music until the core bridges the caller to an agent's held-open
    leg (the outbound bridge) or moves them on; a safety net past the longest
    wait goes to ``sb-queue-voicemail``.
``sb-queue-announce`` (``AnnouncePosition``: a waiting caller's place in the queue)
    Say the position (the extension on Asterisk, the extension's ``-<n>`` suffix on
    FreeSWITCH) with the PBX's number prompts, then back to ``sb-queue-wait``'s
    hold music without reporting the caller queued again.
``sb-queue-closed``
    Outside the route's business hours: answer, play the closed message,
    report ``SwitchboardClosed``, hang up.
``sb-monitor`` (a team leader's phone, ``orchestrator.monitor``)
    Spy on the agent's leg ``sb_monitor_target`` in mode ``sb_monitor_mode`` (listen,
    whisper, barge); not in ``ALL``: no campaign originates it.
``sb-survey`` (a customer whose agent ended the call, ``orchestrator.quality.survey``)
    Ask ``sb_survey_sound`` (else the route's own prompt) for a key 1-5, and ``sb_survey_second``
    for a second one when set; ``sb_survey_prompt`` / ``sb_survey_second_prompt`` name uploaded
    recordings in the node's prompts directory, played instead (a second prompt asks the second
    question); report ``SwitchboardSurvey`` (``Score``, ``Second``; FreeSWITCH
    ``switchboard::survey`` with ``SB-Score``, ``SB-Second``), thank, hang up. Not in ``ALL``: no
    campaign originates it.
``sb-after-bridge`` (a customer whose agent's side of the bridge ended)
    Where a customer of ``sb-outbound`` or ``sb-queue-wait`` goes when the other side of their
    bridge ends (Asterisk: the priority after the hold goes here when ``sb_after_bridge`` is set;
    FreeSWITCH: ``transfer_after_bridge``). With ``sb_after_bridge=wait`` (set by the core as it
    bridged them: the call asks a survey) wait silently until the core moves the channel, with a
    safety-net timer that hangs up; otherwise hang up. Not in ``ALL``: no campaign originates it.
``sb-queue-voicemail`` / ``sb-queue-callback``
    After the queue's longest wait: a goodbye message (voicemail recording and
    callback requests are not built yet), then hang up.
"""

OUTBOUND = "sb-outbound"
ABANDON = "sb-abandon"
LEAVE_MESSAGE = "sb-leave-message"
AGENT_HOLD = "sb-agent-hold"

#: Where a customer goes when their agent's side of the bridge ends (the dialplans send them; the
#: core never names it in a command).
AFTER_BRIDGE = "sb-after-bridge"

QUEUE_WAIT = "sb-queue-wait"
QUEUE_CLOSED = "sb-queue-closed"
QUEUE_VOICEMAIL = "sb-queue-voicemail"
QUEUE_CALLBACK = "sb-queue-callback"
QUEUE_ANNOUNCE = "sb-queue-announce"

ALL = (OUTBOUND, ABANDON, LEAVE_MESSAGE, AGENT_HOLD, QUEUE_WAIT, QUEUE_CLOSED, QUEUE_VOICEMAIL,
       QUEUE_CALLBACK, QUEUE_ANNOUNCE)

# Channel variables (in addition to commands.ATTEMPT_VAR).
VAR_CAMPAIGN = "sb_campaign_id"
VAR_LEAD = "sb_lead_id"
VAR_AGENT = "sb_agent_id"  # on agent legs
VAR_CONFIRM = "sb_confirm"  # on agent legs: "yes" when the phone must press 1 before the leg is up
SIGNAL_CONFIRMED = "agent_confirmed"  # the DialplanSignal of an agent leg whose phone pressed 1
VAR_AMD = "sb_amd"  # "yes" / "no"
VAR_AMD_ACTION = "sb_amd_action"  # an orchestrator.amd.MachineAction value
VAR_MESSAGE_SOUND = "sb_message_sound"  # only set when the campaign has one
VAR_ABANDON_SOUND = "sb_abandon_sound"  # only set when the campaign has one
