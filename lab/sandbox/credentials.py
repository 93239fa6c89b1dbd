"""Secrets of the sandbox: AMI logins of both instances and the agents' phone passwords.

Generated once and kept in ``<state dir>/secrets.json`` (mode 0600, root only):
the pbx's AMI secret must stay stable across restarts because other processes
(runner, web) read it from here through :func:`connection_info`. A non-empty
``ami_secret`` setting wins for the pbx.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ami.session import AmiTarget
from lab.sandbox.layout import state_dir
from provisioning.seats import SeatConf
from settings import Settings

AMI_USERNAME = "switchboard"
SECRETS_FILE = "secrets.json"


@dataclass(frozen=True)
class ConnectionInfo:
    """AMI of both instances (both listen on 127.0.0.1)."""

    pbx: AmiTarget
    world: AmiTarget


@dataclass(frozen=True)
class FreeswitchSecrets:
    """The FreeSWITCH node's one secret: its ESL password, which it also presents to the web app's
    mod_xml_curl endpoint, as a node of your own does: the node row holds one secret, and the web app
    checks the node's lookups against it (a second secret here made the web app answer 401)."""

    esl_password: str


def phone_extension(index: int) -> str:
    return f"agent{index:03d}"


#: Carrier accounts on the world that a trunk made in the admin registers with (one per PBX).
TRUNK_ACCOUNTS = ("trunk-pbx", "trunk-freeswitch")


def fs_phone_extension(index: int) -> str:
    """The world's phones that register to the FreeSWITCH node (``fsagent001`` ...)."""
    return f"fs{phone_extension(index)}"


def _load(settings: Settings) -> dict:
    """Read the secrets file, adding whatever is missing (first run, more phones).

    Under a lock: a runner and a test reading it for the first time at once must
    not each generate (and keep using) a different secret.
    """
    directory = state_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / SECRETS_FILE
    with open(directory / ".secrets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {}
        keys = ("pbx_ami", "world_ami", "fs_esl")
        missing = {key: secrets.token_urlsafe(24) for key in keys if key not in data}
        phones = data.setdefault("phones", {})
        numbers = range(1, settings.sandbox_phones + 1)
        phones_of = (phone_extension, fs_phone_extension)
        extensions = [*(f(i) for f in phones_of for i in numbers), *TRUNK_ACCOUNTS]
        new_phones = {ext: secrets.token_urlsafe(18) for ext in extensions if ext not in phones}
        if missing or new_phones:
            data.update(missing)
            phones.update(new_phones)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1)
            os.replace(tmp, path)
    return data


def connection_info(settings: Settings) -> ConnectionInfo:
    data = _load(settings)
    return ConnectionInfo(
        pbx=AmiTarget("127.0.0.1", settings.ami_port, AMI_USERNAME, settings.ami_secret or data["pbx_ami"]),
        world=AmiTarget("127.0.0.1", settings.world_ami_port, AMI_USERNAME, data["world_ami"]),
    )


def phone_credentials(settings: Settings) -> list[SeatConf]:
    """The seats the world's phones register as (``agent001`` ...) with their passwords.

    The sandbox writes them as the pbx's first seats file; provisioning then
    writes the database's seats alone, so whoever provisions the sandbox pbx
    puts these in the database as the node's seats first (``switchboard run``
    does), or the phones stop registering.
    """
    return _seats(settings, phone_extension)


def fs_phone_credentials(settings: Settings) -> list[SeatConf]:
    """The seats the world's phones register as on the FreeSWITCH node (``fsagent001`` ...).

    The node serves them from its static directory when the web app's
    mod_xml_curl answer does not know them.
    """
    return _seats(settings, fs_phone_extension)


def _seats(settings: Settings, name: Callable[[int], str]) -> list[SeatConf]:
    phones = _load(settings)["phones"]
    extensions = [name(i) for i in range(1, settings.sandbox_phones + 1)]
    return [SeatConf(extension, phones[extension]) for extension in extensions]


def trunk_accounts(settings: Settings) -> list[SeatConf]:
    """The world's carrier accounts (user, secret) for registration trunks: ``trunk-pbx`` for the pbx,
    ``trunk-freeswitch`` for the FreeSWITCH node. The world knows each PBX by its address and does
    not challenge their REGISTERs: the secret is what a trunk form asks for, not checked there."""
    phones = _load(settings)["phones"]
    return [SeatConf(name, phones[name]) for name in TRUNK_ACCOUNTS]


def freeswitch_secrets(settings: Settings) -> FreeswitchSecrets:
    data = _load(settings)
    return FreeswitchSecrets(esl_password=data["fs_esl"])
