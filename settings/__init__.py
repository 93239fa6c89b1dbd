"""One settings object: defaults, then a TOML file, then ``SWITCHBOARD_*`` environment.

Secrets are kept out of ``repr`` and logs so that a settings dump in a bug
report never leaks an AMI secret or the Flask key.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_PREFIX = "SWITCHBOARD_"
SECRET_FIELDS = frozenset({"secret_key", "secrets_key", "ami_secret", "metrics_token", "sms_secret",
                           "smpp_password"})


def _default_instance_dir() -> Path:
    return Path(os.environ.get(ENV_PREFIX + "INSTANCE_DIR", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Settings:
    instance_dir: Path = field(default_factory=_default_instance_dir)
    # Empty: SQLite file in the instance dir. Its password is masked in repr and redacted().
    database_url: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    # Encrypts seat and node secrets in the database (``store.sealing``); empty: the ``secrets_key`` file
    # generated once in the instance dir. Every web and runner process of one database needs the same one,
    # and a backup of the database is worth nothing without it.
    secrets_key: str = field(default="", repr=False)
    # The local Asterisk sandbox (lab/ in a checkout; unused in production).
    sandbox_cache: Path = Path("/var/cache/switchboard")
    sandbox_state: Path = Path("/var/lib/switchboard/sandbox")
    pbx_address: str = "127.0.0.2"
    world_address: str = "127.0.0.3"
    ami_port: int = 5038
    world_ami_port: int = 5039
    sip_port: int = 5060
    ami_secret: str = field(default="", repr=False)
    sandbox_phones: int = 8  # auto-answering agent phones (agent001 ...) in the sandbox world
    # The sandbox's FreeSWITCH node (``switchboard pbx sandbox up --kind freeswitch``).
    freeswitch_address: str = "127.0.0.4"  # its SIP profile (port sip_port)
    esl_port: int = 8021  # its event socket, on 127.0.0.1
    vendor_dir: str = ""  # FreeSWITCH source tarballs; empty: <repo>/../shared/vendor
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    # Where the web reads a node's recordings when the node does not say
    # (``pbx_nodes.recordings_dir``): Asterisk's monitor directory on this host.
    recordings_dir: Path = Path("/var/spool/asterisk/monitor")
    # Where ``switchboard backup recordings`` moves old recordings and the web plays them from
    # afterwards; empty: ``recordings-archive`` in the instance dir.
    recordings_archive_dir: str = ""
    # Where "Provision and reload" writes an Asterisk node's seats (pjsip.conf #includes it; the
    # dialplans/ files go next to it). ``{node}`` becomes the node's name, for one directory per node.
    seats_conf_path: str = "/etc/asterisk/pjsip-seats.conf"
    # The PJSIP transport the seats name, so their RTP binds to that transport's address; empty:
    # Asterisk's default transport, RTP on every address.
    pjsip_transport: str = ""
    # Where provisioning writes a FreeSWITCH node's trunks, one sofia gateway a file; the node's SIP
    # profile pulls them in with <X-PRE-PROCESS cmd="include" data="<this dir>/*.xml"/> in its
    # <gateways>. ``{node}`` becomes the node's name.
    freeswitch_gateways_dir: str = "/etc/freeswitch/switchboard-gateways"
    # SMS through Kannel (bearerbox + smsbox on this host, 127.0.0.1). ``sms_smsc`` "smpp" connects to
    # the operator's SMPP account below; "fake" is Kannel's test SMSC (the sandbox's ``fakesmsc``).
    sms_smsc: str = "smpp"
    smpp_host: str = ""
    smpp_port: int = 2775
    smpp_system_id: str = ""
    smpp_password: str = field(default="", repr=False)
    sms_sender_id: str = "Switchboard"  # the From of every message (a short code or an alphanumeric name)
    # The operator's country (ISO code): a reply's sender number as Kannel gives it (13800138000,
    # 8613800138000, 008613800138000 ...) is read as a number of this country unless it says otherwise.
    sms_region: str = "US"
    kannel_admin_port: int = 13000
    kannel_smsbox_port: int = 13001  # bearerbox <-> smsbox
    kannel_sendsms_port: int = 13013  # smsbox's HTTP sendsms interface
    kannel_fake_smsc_port: int = 13010  # sms_smsc "fake": where bearerbox listens for fakesmsc
    kannel_mo_smsc_port: int = 13011  # the sandbox's second fake SMSC, which only injects replies (MO)
    # The sendsms password and the token in Kannel's callbacks (delivery reports, replies);
    # empty: generated once in the instance dir.
    sms_secret: str = field(default="", repr=False)
    # Where Kannel reaches the web app for delivery reports and replies; empty: http://web_host:web_port.
    sms_callback_url: str = ""

    @property
    def callback_url(self) -> str:
        return (self.sms_callback_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")
    # Fax (4 lines per node, shared by faxes sent and received). ``fax_numbers``: our fax DIDs as the
    # trunk sends them (E.164 digits without "+", comma-separated); the dialplan the runner installs
    # sends them to the fax inbox. ``fax_dir``: where the runner writes the TIFFs it sends and reads the
    # received ones; ``fax_dir_in_pbx``: the same directory as the PBX names it ("": the same path).
    fax_numbers: str = ""
    fax_dir: Path = Path("/var/spool/asterisk/fax")
    fax_dir_in_pbx: str = ""
    fax_trunk: str = ""  # the trunk faxes are sent through; "": the runner's default trunk
    fax_channels: int = 4
    fax_max_tries: int = 3  # tries per fax when the far end is busy or does not answer
    fax_retry_delay_s: int = 60
    # Where the log-in and xml_curl throttles count failures (a ``limits`` storage URL). ``memory://``
    # counts per process; with several web processes use ``redis://host:6379`` so they share one count.
    throttle_storage: str = "memory://"
    # Sales one agent should make in a day (yuan, whole): the reports and the wallboard measure against it.
    sales_target_per_agent_day: int = 700
    # A complaint overdue on its step goes to its team leader at once, and to the directors when it is
    # still overdue this many hours later; ``ticket_director_after_steps`` sets it per step instead
    # ("accepted=4, assigned=12": ``orchestrator.quality.tickets.EscalationPolicy.parse``).
    ticket_director_after_h: int = 24
    ticket_director_after_steps: str = ""
    # The centre's time zone (IANA name): the web pages show times in it ("Asia/Shanghai" for a centre in
    # China).
    centre_timezone: str = "UTC"
    # The currency of order amounts and sales targets (ISO 4217), formatted per the reader's language.
    currency: str = "CNY"
    session_lifetime_minutes: int = 480  # a signed-in browser must sign in again after this (one shift)
    # Behind a TLS-terminating proxy: cookies only over HTTPS (and HSTS sent), and the number of
    # proxies whose X-Forwarded-For/-Proto to trust (0: none, the client talks to us directly).
    cookie_secure: bool = False
    proxy_count: int = 0
    # ``/metrics``: Prometheus sends it as ``Authorization: Bearer <token>``; empty: a signed-in sysadmin.
    metrics_token: str = field(default="", repr=False)

    def __repr__(self) -> str:
        shown = (f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"Settings({', '.join(shown)}, database_url={mask_url_password(self.database_url)!r})"

    @property
    def recordings_archive(self) -> Path:
        """Where archived recordings live: the ``recordings_archive_dir`` setting, else the instance dir's."""
        return Path(self.recordings_archive_dir or self.instance_dir / "recordings-archive")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_dir / 'switchboard.sqlite3'}"

    def redacted(self) -> dict[str, Any]:
        values = {
            f.name: ("***" if f.name in SECRET_FIELDS and getattr(self, f.name) else getattr(self, f.name))
            for f in fields(self)
        }
        values["database_url"] = mask_url_password(self.database_url)
        return values


def mask_url_password(url: str) -> str:
    """``postgresql://u:pw@h/db`` → ``postgresql://u:***@h/db``: a settings dump never shows the password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _coerce(kind: Any, raw: Any, name: str) -> Any:
    try:
        if kind in (bool, "bool"):
            return _as_bool(raw)
        if kind in (int, "int"):
            return int(raw)
        if kind in (Path, "Path"):
            return Path(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name}: cannot use {raw!r} ({exc})") from None


def _as_bool(raw: Any) -> bool:
    """TOML gives a bool; the environment a word."""
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ValueError("give true or false")
    return word in {"1", "true", "yes", "on"}


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the optional TOML file and the environment.

    Unknown keys are an error rather than silently ignored: a typo in a
    config file should not send calls to the wrong PBX.
    """
    environ = dict(os.environ if environ is None else environ)
    settings = Settings()
    kinds = {f.name: f.type for f in fields(Settings)}
    path = path or (Path(environ[ENV_PREFIX + "CONFIG"]) if ENV_PREFIX + "CONFIG" in environ else None)
    values: dict[str, Any] = {}
    if path is not None:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        unknown = set(data) - set(kinds)
        if unknown:
            raise ValueError(f"{path}: unknown settings: {', '.join(sorted(unknown))}")
        values.update(data)
    for name in kinds:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
    settings = replace(settings, **{k: _coerce(kinds[k], v, k) for k, v in values.items()})
    if not settings.secret_key:
        settings = replace(settings, secret_key=instance_secret(settings.instance_dir, "secret_key"))
    if not settings.secrets_key:
        settings = replace(settings, secrets_key=instance_secret(settings.instance_dir, "secrets_key"))
    if not settings.sms_secret:
        settings = replace(settings, sms_secret=instance_secret(settings.instance_dir, "sms_secret"))
    return settings


def instance_secret(instance_dir: Path, name: str) -> str:
    """A random secret generated once and kept (mode 0600) in the instance dir."""
    path = instance_dir / name
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # keys, the SQLite file, uploads
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
