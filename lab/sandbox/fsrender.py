"""The FreeSWITCH node's configuration (one ``freeswitch.xml``) and its stand-in prompts.

Everything the node needs is in one rendered document: loopback SIP profile
with the world gateway, ESL with the generated password, mod_xml_curl pointed
at the web app, and static copies of the project's routes and of the sandbox
phones' seats. mod_xml_curl is asked first; when the web app is not running or
does not know this node, FreeSWITCH falls back to the static copies, so the
sandbox works without the web app.

The sound packs are not built (hundreds of MB); the prompts the project's
routes name by default are rendered with espeak-ng at the stock pack's paths
(with the ``digits/`` mod_say_en says numbers with), and a stand-in tune
(sox) at the stock music pack's path plays as the queue's hold music.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import click
from jinja2 import Environment, PackageLoader, StrictUndefined

from dialplans.render import DialplanParams, write_atomically
from lab.sandbox import fsbuild, fsnode, world
from lab.sandbox.credentials import freeswitch_secrets, fs_phone_credentials
from lab.sandbox.fsnode import FsNode
from lab.sandbox.layout import freeswitch_gateways_dir
from provisioning import freeswitch
from provisioning.prompts import FREESWITCH_PROMPTS
from settings import Settings

#: Loggers, mod_xml_curl, ESL, endpoints, applications, codecs, dialplan, formats (vanilla order).
MODULES = (
    "mod_console", "mod_logfile", "mod_xml_curl", "mod_event_socket", "mod_sofia", "mod_loopback",
    "mod_commands", "mod_dptools", "mod_expr", "mod_hash", "mod_db", "mod_spandsp", "mod_avmd",
    "mod_callcenter", "mod_opus", "mod_dialplan_xml", "mod_native_file", "mod_sndfile", "mod_tone_stream",
    "mod_say_en",
)
RTP_RANGE = (40000, 44999)  # pbx 30000-34999, world 35000-39999
#: The name this node presents to the web app's ``/freeswitch/xml`` (a PbxNode of kind freeswitch).
XML_CURL_NODE = "sandbox-freeswitch"
#: Packages the prompts need at sandbox start.
PROMPT_PACKAGES = ("espeak-ng", "sox")
#: Debian packages that render the prompts (installed by ``up`` when missing).
PROMPT_PACKAGES = ("espeak-ng", "sox")
PROMPTS = {
    freeswitch.DEFAULT_ABANDON_SOUND: "Sorry, all our agents are busy. We will call you back. Goodbye.",
    freeswitch.VOICEMAIL_SOUND: "Please leave your message after the tone.",
    freeswitch.CALLBACK_SOUND: "Thank you for calling. We will call you back soon. Goodbye.",
    freeswitch.SURVEY_SOUND: "How satisfied were you with our service? Press 1 to 5. 5 is very satisfied.",
    freeswitch.SURVEY_THANKS_SOUND: "Thank you for your answer. Goodbye.",
    freeswitch.POSITION_BEFORE_SOUND: "You are caller number",
    freeswitch.POSITION_AFTER_SOUND: "in the queue.",
    freeswitch.POSITION_FIRST_SOUND: "You are next in the queue.",
    freeswitch.WAIT_BEFORE_SOUND: "Your estimated wait is about",
    freeswitch.WAIT_MINUTE_SOUND: "minute.",
    freeswitch.WAIT_MINUTES_SOUND: "minutes.",
    # What mod_say_en plays for a number below a thousand.
    **{f"digits/{n}.wav": str(n) for n in (*range(20), *range(20, 100, 10))},
    "digits/hundred.wav": "hundred",
}
#: The stand-in tune's notes (Hz), a C major arpeggio up and down, and each note's length (s).
TUNE = (262, 330, 392, 523, 392, 330)
NOTE_S = 0.4

_env = Environment(
    loader=PackageLoader("lab.sandbox", "templates"),
    undefined=StrictUndefined,
    # FreeSWITCH config, not HTML: the values are ours; embedded XML pieces are escaped by their renderers.
    autoescape=False,  # noqa: S701
    keep_trailing_newline=True,
)


def xml_curl_url(settings: Settings) -> str:
    return f"http://{settings.web_host}:{settings.web_port}/freeswitch/xml"


def fax_dir(fs: FsNode) -> Path:
    """Where the node keeps the faxes it receives and sends."""
    return fs.dir("storage") / "fax"


def render(fs: FsNode, settings: Settings, params: DialplanParams | None = None) -> str:
    """``freeswitch.xml``; ``params``: the routes' parameters (``bench.amd`` tries AMD tunings this way)."""
    secrets = freeswitch_secrets(settings)
    return _env.get_template("freeswitch/freeswitch.xml.j2").render(
        address=settings.freeswitch_address, sip_port=settings.sip_port, world_address=settings.world_address,
        rtp_start=RTP_RANGE[0], rtp_end=RTP_RANGE[1], modules=MODULES, log_dir=str(fs.dir("log")),
        esl_port=settings.esl_port, esl_password=secrets.esl_password, xml_curl_url=xml_curl_url(settings),
        sounds_dir=str(fs.dir("sounds")),
        xml_curl_node=XML_CURL_NODE, profile=fsnode.PROFILE,
        gateway=fsnode.GATEWAY, context=freeswitch.CONTEXT,
        gateways_dir=str(freeswitch_gateways_dir(settings)),
        dialplan_context=freeswitch.dialplan_context(
            _static_params(params or DialplanParams(), fs, settings)),
        directory_domain=freeswitch.directory_domain(settings.freeswitch_address,
                                                     fs_phone_credentials(settings)),
    )


def _static_params(params: DialplanParams, fs: FsNode, settings: Settings) -> DialplanParams:
    """The static copy's routes: the sandbox's fax numbers and, where the web app writes uploaded prompts
    for this node (beside its gateways), the prompts directory, so a survey's recorded question plays
    without the web app answering lookups (its menus come only from the web app)."""
    prompts_dir = params.ivr.prompts_dir or str(freeswitch_gateways_dir(settings).parent / FREESWITCH_PROMPTS)
    return replace(params, fax_numbers=(world.FREESWITCH_FAX_DID,), fax_dir=str(fax_dir(fs)),
                   ivr=replace(params.ivr, prompts_dir=prompts_dir))


def write_configs(fs: FsNode, settings: Settings) -> list[str]:
    """Create the node's directories, write ``freeswitch.xml`` (mode 0600: secrets) and the prompts."""
    for name in fsnode.SUBDIRS:
        fs.dir(name).mkdir(parents=True, exist_ok=True)
    fax_dir(fs).mkdir(exist_ok=True)
    freeswitch_gateways_dir(settings).mkdir(exist_ok=True)
    changed = write_atomically(fs.dir("conf"), {"freeswitch.xml": render(fs, settings)})
    (fs.dir("conf") / "freeswitch.xml").chmod(0o600)
    for relative, text in PROMPTS.items():
        ensure_prompt(fs.dir("sounds") / relative, text)
    ensure_tune(fs.dir("sounds") / freeswitch.HOLD_MUSIC, freeswitch.HOLD_MUSIC_MIN_S)
    return changed


def sync_routes(settings: Settings) -> None:
    """A running node (if the sandbox has one) takes this checkout's routes and prompts: ``freeswitch.xml``
    rewritten, ``reloadxml`` when it changed; no restart, so tests sharing the sandbox can run on."""
    if fsnode.configured(settings):
        fs = fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))
        if write_configs(fs, settings):
            fsnode.esl_api(settings, "reloadxml")


def ensure_tune(path: Path, seconds: int) -> None:
    """A stand-in hold music at ``path`` (8 kHz mono WAV, ``seconds`` long or a little more) once:
    plucked notes, loud enough to be told from silence on the caller's line."""
    if path.is_file() and path.stat().st_size > 1000:
        return
    sox = shutil.which("sox")
    if sox is None:
        raise click.ClickException("sox is needed to render the sandbox's hold music: apt-get install sox")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        notes = [Path(tmp) / f"note{i}.wav" for i in range(len(TUNE))]
        for note, hz in zip(notes, TUNE, strict=True):
            subprocess.run([sox, "-n", "-r", "8000", "-c", "1", "-b", "16", str(note), "synth", str(NOTE_S),
                            "pluck", str(hz), "vol", "0.6"], check=True, capture_output=True)
        repeats = math.ceil(seconds / (NOTE_S * len(TUNE)))
        partial = Path(tmp) / "tune.wav"
        subprocess.run([sox, *map(str, notes), str(partial), "repeat", str(repeats - 1)], check=True,
                       capture_output=True)
        shutil.move(partial, path)


def ensure_prompt(path: Path, text: str) -> None:
    """Speak ``text`` into an 8 kHz mono WAV at ``path`` once (kept across starts)."""
    if path.is_file() and path.stat().st_size > 1000:
        return
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        raise click.ClickException("espeak-ng and sox are needed to render the FreeSWITCH sandbox's prompts: "
                                   "apt-get install espeak-ng sox")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        spoken = Path(tmp) / "spoken.wav"
        subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(spoken), text], check=True,
                       capture_output=True)
        partial = Path(tmp) / "prompt.wav"
        subprocess.run([sox, str(spoken), "-r", "8000", "-c", "1", "-b", "16", str(partial)], check=True,
                       capture_output=True)
        shutil.move(partial, path)
