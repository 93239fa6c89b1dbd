"""The simulated carrier ("world") and how a dialed number tells it what to do.

Number encoding (valid NANP numbers, so lead import and time-zone lookup accept them)::

    +1 AAA 5 O TT SSS
       |   | | |  `-- serial 000-999: free, makes numbers unique per lead
       |   | | `----- TT: seconds 00-99, meaning depends on the outcome (below)
       |   | `------- O: outcome digit
       |   `--------- always 5 (marks a simulator number)
       `------------- area code: any valid one (201 New York time, 415 Los Angeles ...)

====  ============  ==========================================================  ===============
O     outcome       what the far end does                                        pbx sees cause
====  ============  ==========================================================  ===============
1     human         answers, says "hello", 3 s silence, then keeps talking;      16 (normal)
                    hangs up TT s after answer (00: never, the caller ends it)
2     busy          rings TT s (00: not at all), then busy                       17
3     congestion    rings TT s, then congestion (503)                            34
4     noanswer      rings; gives up after TT s with no-answer (00: rings until  19 (or the
                    the caller gives up, at most 10 min)                         caller's own)
5     machine       answers, ~5.7 s voicemail greeting, a 1000 Hz beep (0.5 s),  16
                    then listens in silence; hangs up TT s after answer
6     unallocated   rings TT s, then "number does not exist" (404)             1
7     keypad        answers, after 1 s of silence presses 1 2 # (RFC 4733,      16
                    250 ms apart), then talks like a human; hangs up TT s after
                    answer (00: never)
8     earlymedia    183 with a message (early media), never answers; gives up   19 (or the
                    after TT s (00: at most 10 min)                              caller's own)
8     fax           answers as a fax machine (``ReceiveFAX``, T.38 when offered) 16
                    and keeps the TIFF in the world's ``spool/fax``; emits
                    ``UserEvent(WorldFax, Number, Status, Pages, Station, File)``
====  ============  ==========================================================  ===============

Any other number the world receives is unallocated (cause 1). Instead of the number a SIP
header can choose: ``X-Outcome: <outcome>[/<TT>]`` (originate with
``Variable: PJSIP_HEADER(add,X-Outcome)=machine/20``); the header wins over the number.

What a human or a machine *says* can be chosen too: ``X-Greeting: <name>`` plays the greeting
``<name>`` of the corpus (:mod:`lab.sandbox.greetings`, installed into the world's sounds
dir) instead of "hello" or the default voicemail greeting. A human then plays ``<name>-after``
(3 s of the greeting's background noise, or silence) before it keeps talking, as after "hello";
a machine beeps after it, as usual. A name the world does not have is unallocated (cause 1), so a
typo never passes for the default greeting. Every human emits
``UserEvent(WorldGreetingEnd, Number: <dialed>)`` on the world's AMI when its greeting ends.

A keypad caller's digits are :data:`KEYPAD_DIGITS`: the far end's DTMF, which both PBXes must
report on the originated channel (the contract suite's ``dtmf`` scenario).

Agents' phones live in the world too (outbound registrations to the pbx, see the sandbox
package docstring): a call to ``agentNNN`` is answered at once and hears a looping prompt.
"""

from __future__ import annotations

import re
from enum import StrEnum

#: The pbx's trunk endpoint towards the world: dial ``PJSIP/<number>@world``.
TRUNK = "world"
OUTCOME_HEADER = "X-Outcome"
#: What a ``keypad`` far end presses after answering.
KEYPAD_DIGITS = "12#"
GREETING_HEADER = "X-Greeting"
#: The world's own fax machine, to send: originate on the world's AMI to ``PJSIP/<DID>@pbx`` (or
#: ``@freeswitch``) into :data:`FAX_SEND_CONTEXT` with the channel variable ``fax_file`` (a TIFF in
#: the world's root); ``UserEvent(WorldFaxSent, Status, Pages, Station, Error, Mode)`` reports the result.
FAX_SEND_CONTEXT = "world-fax-send"
#: The fax DIDs the sandbox gives the pbx and the FreeSWITCH node (the world dials them).
PBX_FAX_DID = "12015550100"
FREESWITCH_FAX_DID = "12015550200"
_AREA_CODE = re.compile(r"^[2-9][0-9]{2}$")
_GREETING = re.compile(r"^[a-z0-9-]{1,64}$")


class Outcome(StrEnum):
    HUMAN = "human"
    BUSY = "busy"
    CONGESTION = "congestion"
    NO_ANSWER = "noanswer"
    MACHINE = "machine"
    UNALLOCATED = "unallocated"
    KEYPAD = "keypad"
    EARLY_MEDIA = "earlymedia"
    FAX = "fax"

    @property
    def digit(self) -> int:
        """The O digit in a world number (1-based position in this enum)."""
        return list(Outcome).index(self) + 1


def world_number(outcome: Outcome, talk_s: int = 0, serial: int = 0, area_code: str = "201") -> str:
    """The E.164 number that makes the world behave as ``outcome`` (see the module docstring)."""
    if not 0 <= talk_s <= 99:
        raise ValueError(f"talk_s must be 0-99, not {talk_s}")
    if not 0 <= serial <= 999:
        raise ValueError(f"serial must be 0-999, not {serial}")
    if not _AREA_CODE.match(area_code):
        raise ValueError(f"bad NANP area code {area_code!r}")
    return f"+1{area_code}5{Outcome(outcome).digit}{talk_s:02d}{serial:03d}"


def outcome_header(outcome: Outcome, talk_s: int = 0) -> str:
    """Value for the ``X-Outcome`` header, e.g. ``machine/20``."""
    if not 0 <= talk_s <= 99:
        raise ValueError(f"talk_s must be 0-99, not {talk_s}")
    return f"{Outcome(outcome).value}/{talk_s}"


def trunk_dial(number: str) -> str:
    """The pbx dial string that sends ``number`` to the world over the trunk."""
    return f"PJSIP/{number}@{TRUNK}"


def greeting_name(name: str) -> str:
    """``name`` if it can be a corpus greeting's (lower-case letters, digits, dashes), else ValueError."""
    if not _GREETING.match(name):
        raise ValueError(f"bad greeting name {name!r}: lower-case letters, digits and dashes only")
    return name


def greeting_variable(name: str) -> str:
    """Originate variable that makes the world say corpus greeting ``name`` (letters, digits, dashes)."""
    return f"PJSIP_HEADER(add,{GREETING_HEADER})={greeting_name(name)}"
