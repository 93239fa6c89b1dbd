"""Kannel's configuration (one file for bearerbox and smsbox), rendered from the settings.

The operator's SMPP account (host, port, system id, password, sender id) is
configuration: ``sms_smsc = "smpp"`` and the ``smpp_*`` settings. The sandbox
renders the same file with ``sms_smsc = "fake"``: bearerbox listens for Kannel's
own test SMSC (``fakesmsc``) instead, plus a second fake SMSC (``replies``)
through which a test injects subscribers' replies (MO).

Switchboard talks to smsbox's HTTP ``sendsms`` interface only, as the user
:data:`SENDSMS_USER`; Kannel calls back the web app with delivery reports (the
``dlr-url`` given with each message) and replies (the ``sms-service`` below).
Every listener is bound to 127.0.0.1 and every password is ``sms_secret``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings import Settings

SENDSMS_USER = "switchboard"
OPERATOR_SMSC = "operator"  # the smsc-id every message is forced through
REPLIES_SMSC = "replies"  # the sandbox's MO-only fake SMSC
MAX_PARTS = 10  # a long message is split by Kannel into at most this many concatenated parts
SMSC_KINDS = ("smpp", "fake")
#: smsbox calls a dlr-url again this often, this many seconds apart, while the web app does not answer
#: (restarting): a report still unposted after that window is dropped by smsbox.
REPORT_RETRIES = 10
REPORT_RETRY_DELAY_S = 1
REPORT_RETRY_WINDOW_S = REPORT_RETRIES * REPORT_RETRY_DELAY_S


@dataclass(frozen=True)
class KannelFiles:
    """Where the rendered configuration points Kannel's logs and its message store."""

    directory: Path

    @property
    def conf(self) -> Path:
        return self.directory / "kannel.conf"

    @property
    def store(self) -> Path:
        return self.directory / "kannel.store"

    def log(self, box: str) -> Path:
        return self.directory / f"{box}.log"


def mo_path(settings: Settings) -> str:
    """The web app's path Kannel calls with a reply (the token authenticates Kannel)."""
    return f"/sms/mo/{settings.sms_secret}"


def dlr_path(settings: Settings) -> str:
    return f"/sms/dlr/{settings.sms_secret}"


def _group(name: str, **values: str | int) -> str:
    lines = [f"group = {name}"]
    for key, value in values.items():
        text = str(value)
        lines.append(f"{key.replace('_', '-')} = " + (f'"{text}"' if isinstance(value, str) else text))
    return "\n".join(lines) + "\n"


def _smsc(settings: Settings) -> list[str]:
    if settings.sms_smsc == "fake":
        return [
            _group("smsc", smsc="fake", smsc_id=OPERATOR_SMSC, port=settings.kannel_fake_smsc_port,
                   connect_allow_ip="127.0.0.1", allowed_smsc_id=OPERATOR_SMSC),
            _group("smsc", smsc="fake", smsc_id=REPLIES_SMSC, port=settings.kannel_mo_smsc_port,
                   connect_allow_ip="127.0.0.1", allowed_smsc_id=REPLIES_SMSC),
        ]
    if settings.sms_smsc != "smpp":
        raise ValueError(f"setting sms_smsc: {settings.sms_smsc!r} is not one of {', '.join(SMSC_KINDS)}")
    if not (settings.smpp_host and settings.smpp_system_id):
        raise ValueError("SMS through SMPP needs the settings smpp_host and smpp_system_id")
    return [_group("smsc", smsc="smpp", smsc_id=OPERATOR_SMSC, allowed_smsc_id=OPERATOR_SMSC,
                   host=settings.smpp_host, port=settings.smpp_port, transceiver_mode=1,
                   smsc_username=settings.smpp_system_id, smsc_password=settings.smpp_password,
                   msg_id_type=0x01)]


def render(settings: Settings, files: KannelFiles) -> str:
    """The whole ``kannel.conf``."""
    secret = settings.sms_secret
    if not secret:
        raise ValueError("setting sms_secret is empty (load_settings generates one)")
    callback = settings.callback_url
    parts = [
        _group("core", admin_port=settings.kannel_admin_port, admin_interface="127.0.0.1",
               admin_password=secret, admin_allow_ip="127.0.0.1",
               smsbox_port=settings.kannel_smsbox_port, smsbox_interface="127.0.0.1",
               box_allow_ip="127.0.0.1", log_file=str(files.log("bearerbox")), log_level=1,
               store_type="file", store_location=str(files.store), dlr_storage="internal"),
        *_smsc(settings),
        _group("smsbox", bearerbox_host="127.0.0.1", bearerbox_port=settings.kannel_smsbox_port,
               sendsms_port=settings.kannel_sendsms_port, sendsms_interface="127.0.0.1",
               log_file=str(files.log("smsbox")), log_level=1, mo_recode=1,
               # A delivery report the web app could not take (restarting, busy) is fetched again.
               http_request_retry=REPORT_RETRIES, http_queue_delay=REPORT_RETRY_DELAY_S),
        _group("sendsms-user", username=SENDSMS_USER, password=secret, max_messages=MAX_PARTS,
               concatenation=1, forced_smsc=OPERATOR_SMSC, default_sender=settings.sms_sender_id,
               user_allow_ip="127.0.0.1"),
        # Replies go to the web app, which answers nothing (max-messages 0): a STOP is honoured silently.
        _group("sms-service", keyword="default", catch_all=1, max_messages=0, accept_x_kannel_headers=1,
               get_url=f"{callback}{mo_path(settings)}?from=%p&to=%P&text=%a&coding=%c&charset=%C"),
    ]
    return "\n".join(parts)


def write(settings: Settings, directory: Path) -> KannelFiles:
    """Render into ``directory`` (mode 0600: it holds the SMPP and sendsms passwords)."""
    files = KannelFiles(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = files.conf.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(render(settings, files))
    tmp.replace(files.conf)
    return files
