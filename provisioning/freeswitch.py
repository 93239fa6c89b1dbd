"""Seats and routes served to FreeSWITCH through mod_xml_curl; trunks written as sofia gateways.

FreeSWITCH asks over HTTP for each directory (SIP REGISTER/auth) and dialplan
lookup, so there is no file to push and no reload: the committed database
*is* the configuration, and a disabled seat stops registering at its next
REGISTER. Rendering is separated from the HTTP endpoint (``web/fsxml.py``) so
it can be tested and reused without Flask.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree
from jinja2 import Environment, PackageLoader, StrictUndefined

from dialplans.ivr import freeswitch_signal
from dialplans.render import AmdTuning, DialplanParams, write_atomically
from esl import oneshot
from esl.render import DialConfig
from provisioning.seats import SeatConf
from provisioning.trunks import CODECS, TrunkConf
from store.enums import T38Mode, TrunkAuth

CONTEXT = "switchboard"
#: FreeSWITCH's stock "goodbye" prompt (sound pack path, relative to the sounds dir). The shared
#: ``DialplanParams.default_abandon_sound`` names Asterisk's prompt, which FreeSWITCH does not have.
DEFAULT_ABANDON_SOUND = "voicemail/vm-goodbye.wav"
#: The stock prompts of the voicemail and callback routes (``DialplanParams`` names Asterisk's).
VOICEMAIL_SOUND = "voicemail/vm-record_message.wav"
CALLBACK_SOUND = "ivr/ivr-thank_you_for_calling.wav"
#: ``sb-survey``'s own question (when the campaign or route names none) and its thanks.
SURVEY_SOUND = "ivr/ivr-survey_press_1_to_5.wav"
SURVEY_THANKS_SOUND = "ivr/ivr-survey_thank_you.wav"
#: ``sb-agent-hold``'s "press 1 to accept" prompt: two short tones (the stock packs have no "press 1").
CONFIRM_SOUND = "tone_stream://%(200,100,660);loops=2"
#: What a caller waiting in a queue hears: a file of the stock music pack (freeswitch-sounds-music),
#: looped (``local_stream`` needs mod_local_stream and its config, which a node may lack).
HOLD_MUSIC = "music/8000/suite-espanola-op-47-leyenda.wav"
#: Loops of the hold music before the safety net (``DialplanParams.queue_wait_max_s``) if it lasted this long.
HOLD_MUSIC_MIN_S = 60
#: The position announcement's prompts, around the number mod_say_en says ("You are caller number" 2
#: "in the queue"; "You are next in the queue" for the first). The stock packs have no such phrases:
#: the node needs these files (the sandbox speaks them with espeak-ng).
POSITION_BEFORE_SOUND = "switchboard/queue-caller-number.wav"
POSITION_AFTER_SOUND = "switchboard/queue-in-the-queue.wav"
POSITION_FIRST_SOUND = "switchboard/queue-you-are-next.wav"
#: The estimated wait after the position ("Your estimated wait is about" 3 "minutes"), as above.
WAIT_BEFORE_SOUND = "switchboard/queue-wait-about.wav"
WAIT_MINUTE_SOUND = "switchboard/queue-minute.wav"
WAIT_MINUTES_SOUND = "switchboard/queue-minutes.wav"
#: What a caller hears after a key the IVR menu does not offer (then the prompt again).
IVR_INVALID_SOUND = "tone_stream://%(300,100,480,620);loops=2"
#: Where a FreeSWITCH node records when its row names no ``recordings_dir``: where the ESL runner tells it to.
RECORDINGS_DIR = DialConfig().recordings_dir

_env = Environment(
    loader=PackageLoader("dialplans", "freeswitch"),
    undefined=StrictUndefined,
    autoescape=True,  # XML: a seat name must never open an element
    keep_trailing_newline=True,
)
_env.globals["ivr_signal"] = freeswitch_signal


def not_found() -> str:
    return _env.get_template("not_found.xml.j2").render()


def _dialplan_values(params: DialplanParams | None, context: str, abandon_sound: str) -> dict[str, object]:
    params = params or DialplanParams()
    return {
        "context": context,
        "default_abandon_sound": abandon_sound,
        "safety_wait_s": params.safety_wait_s,
        # wait_for_silence counts 20 ms frames.
        "message_silence_hits": max(1, params.message_silence_ms // 20),
        "message_wait_max_ms": params.message_wait_max_s * 1000,
        "amd": amd_detectors(params.amd),
        "fax_channels": params.fax_channels,
        "fax_dir": params.fax_dir,
        "fax_numbers": params.fax_numbers,
        "fax_numbers_g711": params.fax_numbers_g711,
        "hold_music": HOLD_MUSIC,
        "hold_music_loops": max(1, params.queue_wait_max_s // HOLD_MUSIC_MIN_S),
        "position_before_sound": POSITION_BEFORE_SOUND,
        "position_after_sound": POSITION_AFTER_SOUND,
        "position_first_sound": POSITION_FIRST_SOUND,
        "wait_before_sound": WAIT_BEFORE_SOUND,
        "wait_minute_sound": WAIT_MINUTE_SOUND,
        "wait_minutes_sound": WAIT_MINUTES_SOUND,
        "voicemail_sound": VOICEMAIL_SOUND,
        "voicemail_max_s": params.voicemail_max_s,
        "callback_sound": CALLBACK_SOUND,
        "survey_sound": SURVEY_SOUND,
        "survey_wait_ms": params.survey_wait_s * 1000,
        "survey_thanks_sound": SURVEY_THANKS_SOUND,
        "confirm_sound": CONFIRM_SOUND,
        "confirm_wait_ms": params.confirm_wait_s * 1000,
        "ivr": params.ivr,
        # The stand-in prompts the node has (the sound packs are not installed): the busy message is the
        # "all our agents are busy" one; an invalid key gets a short error tone before the prompt again.
        "ivr_busy_sound": abandon_sound,
        "ivr_invalid_sound": IVR_INVALID_SOUND,
    }


def amd_detectors(tuning: AmdTuning) -> dict[str, int]:
    """amd.conf's parameters as ``detect_audio`` / ``detect_silence`` arguments (20 ms frames).

    Both applications return once their condition held ``hits + 1`` frames, so
    ``*_held_ms`` (reported with each cue) is how long before the report the
    voice began or the silence set in.
    """
    audio_hits = max(1, tuning.min_word_length // 20)
    silence_hits = max(1, tuning.after_greeting_silence // 20 - 1)
    return {
        "threshold": tuning.silence_threshold,
        "audio_hits": audio_hits,
        "audio_held_ms": (audio_hits + 1) * 20,
        "initial_silence_ms": tuning.initial_silence,
        "silence_hits": silence_hits,
        "silence_held_ms": (silence_hits + 1) * 20,
        "greeting_window_ms": tuning.greeting + tuning.after_greeting_silence,
    }


def dialplan(params: DialplanParams | None = None, context: str = CONTEXT,
             abandon_sound: str = DEFAULT_ABANDON_SOUND) -> str:
    """The routes as a mod_xml_curl answer (a whole ``freeswitch/xml`` document)."""
    return _env.get_template("dialplan.xml.j2").render(_dialplan_values(params, context, abandon_sound))


def dialplan_context(params: DialplanParams | None = None, context: str = CONTEXT,
                     abandon_sound: str = DEFAULT_ABANDON_SOUND) -> str:
    """The same routes as one ``<context>`` element, for a static ``freeswitch.xml``."""
    return _env.get_template("context.xml.j2").render(_dialplan_values(params, context, abandon_sound))


def directory(domain: str, seats: Iterable[SeatConf], context: str = CONTEXT) -> str:
    return _env.get_template("directory.xml.j2").render(_directory_values(domain, seats, context))


def directory_domain(domain: str, seats: Iterable[SeatConf], context: str = CONTEXT) -> str:
    """The seats as one ``<domain>`` element, for a static ``freeswitch.xml``."""
    return _env.get_template("domain.xml.j2").render(_directory_values(domain, seats, context))


def _directory_values(domain: str, seats: Iterable[SeatConf], context: str) -> dict[str, object]:
    """Each seat with its ``a1-hash`` for this domain, never its password: FreeSWITCH challenges a
    REGISTER with the domain as the realm, so the digest of ``user:domain:password`` is all it needs."""
    users = [{"extension": s.extension, "a1_hash": s.digest(domain)}
             for s in sorted(seats, key=lambda s: s.extension)]
    return {"domain": domain, "context": context, "seats": users}


def answer(request: Mapping[str, str], seats: Iterable[SeatConf],
           params: DialplanParams | None = None) -> str:
    """The XML for one mod_xml_curl request (its POSTed form fields).

    Directory lookups name a user (``user``) in a ``domain``; only that seat is
    returned, as FreeSWITCH expects. The database is the seats' authority: a
    user it does not hold (or holds disabled) gets the domain without them, so
    FreeSWITCH does not fall back to a static copy; its static directory
    serves only while the web app cannot answer. Lookups naming no user (the
    domain's own settings) and dialplan lookups outside our context are left
    to the box's own configuration.
    """
    section = request.get("section", "")
    if section == "directory":
        user = request.get("user", "")
        domain = request.get("domain", "") or request.get("key_value", "")
        found = [s for s in seats if s.extension == user]
        return directory(domain, found) if user and domain else not_found()
    if section == "dialplan":
        context = request.get("Hunt-Context") or request.get("Caller-Context", "")
        return dialplan(params) if context == CONTEXT else not_found()
    return not_found()


@dataclass(frozen=True)
class EslTarget:
    """A node's event socket, as ``ami.session.AmiTarget`` is its AMI (no secret in the repr)."""

    host: str
    port: int
    password: str = field(repr=False)

    def api(self, command: str) -> str:
        return oneshot.api(self.host, self.port, self.password, command)


def registered_contacts(target: EslTarget) -> dict[str, str]:
    """Seat -> "registered (<contact URI>)" for every registration the node holds, over ESL.

    ``show registrations`` covers every SIP profile (``sofia status profile <p>
    reg`` would need the profile's name, which the node row does not hold).
    Raises ``ConnectionError`` when the node cannot be asked, ``ValueError`` on
    an answer that is not the expected JSON.
    """
    body = target.api("show registrations as json")
    rows = json.loads(body).get("rows", [])
    return {str(row["reg_user"]): f"registered ({row.get('url', '')})" for row in rows if row.get("reg_user")}


def gateway(trunk: TrunkConf) -> str:
    """One trunk as a sofia gateway, in the ``<include>`` a profile's ``<gateways>`` pulls in
    (``<X-PRE-PROCESS cmd="include" data="<dir>/*.xml"/>``). Autoescaped: no value opens an element."""
    return _env.get_template("gateway.xml.j2").render(
        t=trunk, registered=trunk.auth is TrunkAuth.REGISTRATION,
        codecs=",".join(CODECS[codec] for codec in trunk.codecs),
        t38="false" if trunk.t38 is T38Mode.OFF else "true")


def provision_gateways(directory: Path, trunks: Iterable[TrunkConf], target: EslTarget) -> list[str]:
    """Write one file per trunk in ``directory``, drop the files of trunks gone; reload what changed, live.

    A gateway that changed or went is killed (``killgw``) and, once FreeSWITCH has let it go,
    every profile is rescanned (``rescan reloadxml``): rescan only adds gateways it does not
    run, so a changed one must be gone first. Returns the changed file names.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = {f"{t.name}.xml": gateway(t) for t in trunks}
    stale = [p for p in directory.glob("*.xml") if p.name not in files]
    changed = write_atomically(directory, files, private=set(files))
    for path in stale:
        path.unlink()
    gone = sorted({Path(name).stem for name in changed} | {p.stem for p in stale})
    if not gone:
        return changed
    profiles = sofia_profiles(target)
    for name in gone:
        for profile in profiles:
            target.api(f"sofia profile {profile} killgw {name}")
        _wait_gone(target, name)
    for profile in profiles:
        target.api(f"sofia profile {profile} rescan reloadxml")
    return sorted([*changed, *(p.name for p in stale)])


def _wait_gone(target: EslTarget, name: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while "Invalid Gateway" not in target.api(f"sofia xmlstatus gateway {name}"):
        if time.monotonic() > deadline:
            raise ConnectionError(f"FreeSWITCH still runs gateway {name!r} {timeout_s:.0f} s after killgw")
        time.sleep(0.1)


def sofia_profiles(target: EslTarget) -> list[str]:
    """The node's SIP profiles (``sofia xmlstatus``; its aliases and gateways left out)."""
    root = ElementTree.fromstring(target.api("sofia xmlstatus"))
    return sorted({p.findtext("name", "") for p in root.iter("profile")
                   if p.findtext("type") == "profile" and p.findtext("name")})


def gateway_states(target: EslTarget) -> dict[str, str]:
    """Gateway -> "registered", or for one that does not register, "reachable"/"unreachable" by its
    pings; another registration state (trying, failed ...) as FreeSWITCH says it."""
    root = ElementTree.fromstring(target.api("sofia xmlstatus gateway"))
    states = {}
    for gw in root.iter("gateway"):
        name, state, status = gw.findtext("name", ""), gw.findtext("state", ""), gw.findtext("status", "")
        if not name:
            continue
        if state == "NOREG":
            states[name] = "reachable" if status == "UP" else "unreachable"
        else:
            states[name] = "registered" if state == "REGED" else state.lower()
    return states
