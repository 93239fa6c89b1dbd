"""Greeting-cadence answering-machine detection: a pure decision over neutral voice cues.

A person answers with a short greeting ("Hello?", "Yes, hello, who is this?")
and then waits for the caller; an answering machine talks on ("Hi, you've
reached Mary, I can't take your call ..."), or says nothing at all. The
cadence of speech and silence after the answer tells them apart with the
parameters of Asterisk's ``amd.conf`` (``dialplans.render.AmdTuning``, the
same defaults):

* no voice within ``initial_silence_ms`` of the answer -> MACHINE
  (``INITIALSILENCE``), as app_amd;
* voice, then ``after_greeting_silence_ms`` of silence, the voice having
  lasted at most ``greeting_ms`` -> HUMAN;
* voice longer than ``greeting_ms`` (no such silence in time) -> MACHINE
  (``LONGGREETING``);
* nothing decided within ``total_analysis_ms`` -> NOTSURE (``TOOLONG``), which
  the dialer connects rather than strand a person.

Unlike app_amd it does not count words: a gap shorter than the after-greeting
silence is part of the greeting, so "Hello? Who is this?" (three words, well
under 1.5 s) is a person, where app_amd's ``maximum_number_of_words = 2``
calls it a machine.

The PBX only reports *when* its energy detector saw the voice start and the
silence settle (``events.VoiceDetected``); the adapter says how long the
detector needed before reporting (``held_ms``), so the cue's time can be moved
back to when the condition began. Beeps are not this module's business: the
PBX's tone detector reports them as ``AmdResult(MACHINE, "beep")`` at any
point of the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orchestrator.events import AmdVerdict, VoiceCue, VoiceDetected


class MachineAction(StrEnum):
    """What a campaign does with a call the detector called a MACHINE (the PBX routes read the
    value as ``sb_amd_action``; the campaign row keeps it)."""

    HANGUP = "hangup"
    MESSAGE = "message"  # leave the campaign's message after the beep


@dataclass(frozen=True, slots=True)
class CadenceParams:
    """Milliseconds, as in ``amd.conf`` (``AmdTuning`` carries the same defaults)."""

    initial_silence_ms: int = 3000
    greeting_ms: int = 2000
    after_greeting_silence_ms: int = 800
    total_analysis_ms: int = 6000
    min_word_ms: int = 100

    def __post_init__(self) -> None:
        for name in ("initial_silence_ms", "greeting_ms", "after_greeting_silence_ms",
                     "total_analysis_ms", "min_word_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 < value <= 60_000:
                raise ValueError(f"{name} must be 1-60000 ms, not {value!r}")


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: AmdVerdict
    cause: str  # app_amd's AMDCAUSE words: HUMAN-<silence heard>-<silence wanted>, LONGGREETING-...


@dataclass(slots=True)
class Cadence:
    """One call's analysis, from its answer; :meth:`feed` returns the decision once there is one."""

    answered_at: float
    params: CadenceParams = CadenceParams()
    speech_at: float | None = None  # when the greeting began (the cue's time less the detector's hold)
    decided: Decision | None = None
    #: Picked up from the store after a runner restart: cues reported while no runner listened are
    #: lost, so a silence may come whose voice cue was never seen.
    resumed: bool = False

    def feed(self, cue: VoiceDetected) -> Decision | None:
        if self.decided is not None:
            return None
        self.decided = self._decide(cue)
        return self.decided

    def _decide(self, cue: VoiceDetected) -> Decision | None:
        p = self.params
        began = cue.at - cue.held_ms / 1000
        since_answer = _ms(cue.at - self.answered_at)
        if since_answer > p.total_analysis_ms:
            return Decision(AmdVerdict.NOTSURE, f"TOOLONG-{since_answer}")
        match cue.cue:
            case VoiceCue.NO_SPEECH:
                return Decision(AmdVerdict.MACHINE, f"INITIALSILENCE-{since_answer}-{p.initial_silence_ms}")
            case VoiceCue.SPEECH:
                self.speech_at = max(began, self.answered_at)
                silence = _ms(self.speech_at - self.answered_at)
                if silence > p.initial_silence_ms:
                    return Decision(AmdVerdict.MACHINE, f"INITIALSILENCE-{silence}-{p.initial_silence_ms}")
                return None
            case VoiceCue.NO_SILENCE:
                return Decision(AmdVerdict.MACHINE, f"LONGGREETING-{self._greeting(cue.at)}-{p.greeting_ms}")
            case VoiceCue.SILENCE:
                if self.speech_at is None and self.resumed:
                    return self._resumed_silence(cue, began)
                if self.speech_at is None:  # silence with no voice before it: the detector's start
                    return None
                greeting = self._greeting(began)
                if greeting > p.greeting_ms:
                    return Decision(AmdVerdict.MACHINE, f"LONGGREETING-{greeting}-{p.greeting_ms}")
                # As app_amd's cause: the silence heard, then the after-greeting silence wanted; the
                # dialer counts the 2 s abandon limit from the greeting's end this much earlier.
                return Decision(AmdVerdict.HUMAN, f"HUMAN-{cue.held_ms}-{p.after_greeting_silence_ms}")
        return None

    def _resumed_silence(self, cue: VoiceDetected, began: float) -> Decision:
        """The settled silence of a greeting whose start went unseen (the runner was down).

        The voice began no earlier than the answer, so the greeting lasted at
        most from the answer to this silence: within ``greeting_ms`` it is a
        person's (waiting for the rest of the 6 s analysis would leave them in
        silence). Longer, it may be a machine's greeting or a person who
        answered slowly: NOTSURE, connected rather than hung up on.
        """
        p = self.params
        at_most = _ms(began - self.answered_at)
        if at_most <= p.greeting_ms:
            return Decision(AmdVerdict.HUMAN, f"HUMAN-{cue.held_ms}-{p.after_greeting_silence_ms}")
        return Decision(AmdVerdict.NOTSURE, f"RESUMED-{at_most}-{p.greeting_ms}")

    def _greeting(self, until: float) -> int:
        return _ms(until - self.speech_at) if self.speech_at is not None else 0


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
