"""Secrets at rest: seat SIP passwords and node AMI/ESL secrets are stored encrypted.

The key is kept outside the database (the ``secrets_key`` setting, by default
a file generated once, mode 0600, in the instance dir), so a copy of the
database or of its backups gives no PBX credential. The columns hold Fernet
tokens (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package); code
opens them only where the plaintext is used: rendering a PBX's
configuration, logging in to a node, the admin's seats page and the agent's
own panel. An empty secret (a node that needs none) stays empty.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from settings import Settings, instance_secret

#: Shortest key accepted (the generated one has 43 characters of base64, 256 bits).
MIN_KEY_LENGTH = 32


class SecretUnreadable(ValueError):
    """A stored secret this key cannot open: the key file is not the one it was sealed with."""


class Sealer:
    """Seal (encrypt) and open (decrypt) secrets with the instance's key."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"the secrets key must be at least {MIN_KEY_LENGTH} characters")
        # Fernet wants 32 bytes in base64; any long random string becomes one (SHA-256 of it).
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
        self._mac_key = hashlib.sha256(b"digest\0" + key.encode()).digest()

    def __repr__(self) -> str:  # never show the key
        return "Sealer(***)"

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode() if plain else ""

    def digest(self, plain: str) -> str:
        """A keyed hash (HMAC-SHA256, hex): equal values match, but without the key a phone number
        cannot be found again by hashing every possible number (a plain hash could)."""
        return hmac.new(self._mac_key, plain.encode(), hashlib.sha256).hexdigest()

    def open(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be opened with this secrets key: is it the instance's key file "
                "(or SWITCHBOARD_SECRETS_KEY) the database was sealed with?") from None


def instance_sealer(settings: Settings) -> Sealer:
    """The sealer of these settings: their ``secrets_key``, else the instance dir's key file."""
    return Sealer(settings.secrets_key or instance_secret(settings.instance_dir, "secrets_key"))
