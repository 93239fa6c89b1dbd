"""Render the PBX-side dialplan and tuning files from templates.

The same route names are used on both PBXs (``sb-outbound``, ``sb-abandon``,
``sb-leave-message``, ``sb-agent-hold``): the core only ever names routes,
each PBX's templates say what a route does there.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from dialplans.ivr import IvrPlan, asterisk_signal

ROUTES = ("sb-outbound", "sb-abandon", "sb-leave-message", "sb-agent-hold", "sb-queue-wait",
          "sb-queue-closed", "sb-queue-voicemail", "sb-queue-callback", "sb-queue-announce")


@dataclass(frozen=True)
class AmdTuning:
    """app_amd parameters (milliseconds, words, energy threshold), tuned on the greeting corpus.

    Measured with ``python -m bench.amd`` (Asterisk 22 ``AMD()`` and FreeSWITCH 1.10's
    ``sb-outbound`` + the core's cadence classifier, which take the same values; the sandbox world
    playing 48 human and 40 voicemail greetings: clean, pink noise at 20 and 10 dB SNR, and 12 dB
    quieter):

    * ``maximum_number_of_words`` 2 -> 5 and ``between_words_silence`` 50 -> 100: with 2, every
      person who says three short words ("Hello? Who is this?", "Yes, this is Mary speaking",
      "Wei? Ni hao, na wei?" in Mandarin) was called a MACHINE and hung up on (MAXWORDS-3-2);
      at 100 ms Mandarin syllables and short breaths no longer count as new words.
    * ``greeting`` 1500 -> 2000 and ``total_analysis_time`` 5000 -> 6000: a person may talk for
      up to 2 s; voicemail greetings still reach 5 words or 2 s of speech (all 30 clean and
      20 dB machines MACHINE), and those with long pauses are decided before the 6 s limit
      instead of ending NOTSURE (which would put them through to an agent).
    * ``initial_silence`` 2500 -> 3000: FreeSWITCH's ``detect_audio`` counts its timeout in
      wall-clock time from the route's start, before the first packet of the greeting arrives,
      so a person who pauses 2 s before "Hello? Who is this?" was called a MACHINE there
      (INITIALSILENCE, 0 of 2 clean and 20 dB; 2 of 2 at 3000). Asterisk's figures do not move; a
      machine that answers in silence is recognised 0.5 s later.
    * ``silence_threshold`` stays 512: at 1024 noise at 10 dB SNR is heard as silence (those
      humans pass), but every caller on a line 12 dB quieter is heard as silence too and is
      hung up on as INITIALSILENCE (0 of 12); at 512 the reverse: 10 dB SNR noise is heard as
      speech and those humans are called MACHINE (LONGGREETING). No single energy threshold
      serves both; on FreeSWITCH 1024 also loses clean short hellos (7 of 12). Replayed
      offline, webrtcvad does not either (it calls pink noise speech); a threshold that follows
      the line's noise floor does, which needs the call's audio.
    * ``after_greeting_silence`` stays 800: at 600 Asterisk decides 0.26 s sooner (p95) with the
      same figures, but FreeSWITCH's classifier (no word count) calls a voicemail greeting with a
      pause after its first sentence a person (18 of 20 machines).
    """

    initial_silence: int = 3000
    greeting: int = 2000
    after_greeting_silence: int = 800
    total_analysis_time: int = 6000
    min_word_length: int = 100
    between_words_silence: int = 100
    maximum_number_of_words: int = 5
    silence_threshold: int = 512
    maximum_word_length: int = 5000

    def arguments(self) -> str:
        """The same tuning as ``AMD()``'s arguments (app_amd's order), for a per-call detector run."""
        return ",".join(str(getattr(self, name)) for name in _AMD_ARGUMENT_ORDER)


#: app_amd's positional arguments, in its order (the names are amd.conf's keys).
_AMD_ARGUMENT_ORDER = ("initial_silence", "greeting", "after_greeting_silence", "total_analysis_time",
                       "min_word_length", "between_words_silence", "maximum_number_of_words",
                       "silence_threshold", "maximum_word_length")


@dataclass(frozen=True)
class DialplanParams:
    amd: AmdTuning = field(default_factory=AmdTuning)
    safety_wait_s: int = 10
    default_abandon_sound: str = "vm-goodbye"
    message_silence_ms: int = 1500
    message_wait_max_s: int = 20
    #: Fax channels of the node (sent and received together): a fax arriving when all are taken gets busy.
    fax_channels: int = 4
    #: Where the PBX writes received faxes (a path the PBX sees; the runner maps it to its own view).
    fax_dir: str = "/var/spool/asterisk/fax"
    #: The DIDs that reach the fax inbox over the trunk (E.164 without "+", as the trunk sends them).
    fax_numbers: tuple[str, ...] = ()
    #: Those of them a trunk with T.38 off delivers (FreeSWITCH: its received faxes stay G.711; Asterisk
    #: needs no list, the trunk's endpoint refuses T.38 itself).
    fax_numbers_g711: tuple[str, ...] = ()
    #: The safety net of ``sb-queue-wait``: a caller no runner moved is sent to voicemail after this
    #: long (above any queue's longest wait, which the core enforces itself).
    queue_wait_max_s: int = 900
    #: ``sb-queue-voicemail``: the prompt before the tone, and the longest message (the runner records it).
    voicemail_sound: str = "vm-intro"
    voicemail_max_s: int = 120
    #: ``sb-queue-callback``: what a caller who will be called back hears before the hang-up.
    callback_sound: str = "auth-thankyou&vm-goodbye"
    #: ``sb-survey``: the question when the campaign or route names none ("press 1 2 3 4 5" in
    #: Asterisk's stock prompts), how long each question waits for the key, and the thanks.
    survey_sound: str = "vm-press&digits/1&digits/2&digits/3&digits/4&digits/5"
    survey_wait_s: int = 5
    survey_thanks_sound: str = "auth-thankyou&vm-goodbye"
    #: ``sb-agent-hold`` with "press 1 to accept": the prompt ("press 1" in Asterisk's stock prompts)
    #: and how long the agent's phone has for the key before the leg is hung up.
    confirm_sound: str = "vm-press&digits/1"
    confirm_wait_s: int = 8
    #: ``sb-queue-wait``: the Asterisk music-on-hold class a waiting caller hears (musiconhold.conf).
    hold_music_class: str = "default"
    #: ``sb-queue-announce`` on Asterisk: said before and after the caller's position ("You are currently
    #: caller number" 2 "waiting to speak with a representative"), and instead of it for the first.
    position_before_sound: str = "queue-thereare"
    position_after_sound: str = "queue-callswaiting"
    position_first_sound: str = "queue-youarenext"
    #: ...and the estimated wait after it ("The estimated hold time is currently" 3 "minutes").
    wait_before_sound: str = "queue-holdtime"
    wait_minute_sound: str = "queue-minute"
    wait_minutes_sound: str = "queue-minutes"
    #: The admin's IVR menus and the DIDs that enter them (``dialplans.ivr``), per node.
    ivr: IvrPlan = field(default_factory=IvrPlan)
    #: What a caller over an IVR's channel limit hears (then busy), and after an invalid key.
    ivr_busy_sound: str = "all-circuits-busy-now"
    ivr_invalid_sound: str = "pbx-invalid"


# PBX config files, not HTML: no HTML escaping (bandit's B701 is for HTML templates).
_env = Environment(  # nosec B701
    loader=PackageLoader("dialplans", "."),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 - Asterisk config, not HTML: nothing to escape for a browser
)
_env.globals["ivr_signal"] = asterisk_signal


def render_asterisk(params: DialplanParams | None = None) -> dict[str, str]:
    """File name (relative to the Asterisk config dir) -> rendered text."""
    params = params or DialplanParams()
    context = {**params.__dict__}
    return {
        "extensions-switchboard.conf": _env.get_template(
            "asterisk/extensions-switchboard.conf.j2").render(context),
        "amd.conf": _env.get_template("asterisk/amd.conf.j2").render(context),
    }


def write_atomically(directory: Path, files: dict[str, str], private: Iterable[str] = ()) -> list[str]:
    """Write files that changed (temp file + rename, so the PBX never reads half a file).

    Files named in ``private`` (SIP passwords) are 0640: the owner and the PBX's group
    (the directory's group, or the writer's), never everyone. Returns the names that
    changed, so the caller reloads only when needed.
    """
    secret = set(private)
    changed = []
    for name, text in files.items():
        target = directory / name
        if target.exists() and target.read_text() == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o640 if name in secret else 0o644)
        os.replace(tmp, target)
        changed.append(name)
    return changed
