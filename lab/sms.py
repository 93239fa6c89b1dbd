"""SMS broadcasts end to end on a Kannel of their own: the gateway, the web app (which receives the
delivery reports and replies), the sender process, and what the fake SMSC received.

Shared by the SMS integration tests and ``bench.messaging``. Each :class:`SmsLab`
runs its own bearerbox + smsbox + fakesmsc (rendered by the sandbox code, on
free ports, under its temporary directory) so a test may kill its smsbox
without disturbing anyone. What fakesmsc logged is the ground truth: every
message that reached the "operator", its parts reassembled
(:func:`received_texts`), so duplicates and losses are counted outside
Switchboard.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from lab.campaign import switchboard_exe
from lab.sandbox import kannel as gateway
from settings import Settings
from store import messaging as store
from store import migrate
from store.db import make_engine, session_factory
from store.enums import ComplianceProfile, SmsStatus
from store.models import Lead, LeadList, SmsMessage

WAIT_S = 120.0
_GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")
#: Statuses that still wait for the sender or for the final delivery report (the fake SMSC
#: reports "delivered" for every message, after or before "sent to the SMSC").
OPEN = store.OPEN


def zone_at(hour: int) -> str:
    """An ``Etc/GMT`` zone whose local hour is ``hour`` now: recipients inside (or outside) the profile's
    hours whenever a test or the benchmark runs."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12  # -12 .. +11
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _decode(kind: str, rest: str) -> tuple[bytes | None, str]:
    """(UDH, text) of one fakesmsc line's message part."""
    if kind == "text":
        return None, rest
    if kind == "ucs-2":
        return None, urllib.parse.unquote_to_bytes(rest).decode("utf-16-be")
    if kind == "udh":  # "<udh> data <payload>": a part of a concatenated UCS-2 message
        udh, _, payload = rest.partition(" data ")
        return urllib.parse.unquote_to_bytes(udh), urllib.parse.unquote_to_bytes(payload).decode("utf-16-be")
    raise ValueError(f"fakesmsc line of an unexpected type {kind!r}")


def received_texts(log: Path) -> list[tuple[str, str]]:
    """(recipient, text) of every message fakesmsc received, concatenated parts joined in order."""
    whole: list[tuple[str, str]] = []
    parts: dict[tuple[str, int], dict[int, str]] = {}
    for line in log.read_text(errors="replace").splitlines() if log.exists() else ():
        found = _GOT.search(line)
        if not found:
            continue
        _sender, to, kind, rest = found.groups()
        udh, text = _decode(kind, rest)
        if udh is None:
            whole.append((to, text))
            continue
        ref, total, seq = udh[3], udh[4], udh[5]  # IE 00 (8-bit reference), length 3
        got = parts.setdefault((to, ref), {})
        got[seq] = text
        if len(got) == total:
            whole.append((to, "".join(got[i] for i in sorted(got))))
            del parts[(to, ref)]
    return whole


@dataclass
class Process:
    """One ``switchboard`` subcommand in a subprocess, logging to a file."""

    argv: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "a") as fh:
            self.proc = subprocess.Popen([switchboard_exe(), *self.argv], env=self.env, stdout=fh,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def cpu_s(self) -> float:
        """CPU time (user + system) the process has used so far."""
        if self.proc is None:
            return 0.0
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(20)


@dataclass
class SmsLab:
    """A database, Kannel, the web app and the sender, all this lab's own."""

    tmp: Path
    url: str = ""
    settings: Settings = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)
    web: Process = field(init=False)
    sender: Process = field(init=False)

    def __post_init__(self) -> None:
        self.url = self.url or f"sqlite:///{self.tmp / 'sms.sqlite3'}"
        self.settings = Settings(
            instance_dir=self.tmp / "instance", database_url=self.url, secret_key="sms-lab",
            sandbox_state=self.tmp / "sandbox", sms_smsc="fake", sms_secret="sms-lab-secret",
            web_port=free_port(), kannel_admin_port=free_port(), kannel_smsbox_port=free_port(),
            kannel_sendsms_port=free_port(), kannel_fake_smsc_port=free_port(),
            kannel_mo_smsc_port=free_port())
        migrate.upgrade(self.url, "head")
        self._engine = make_engine(self.url)
        self.sessions = session_factory(self._engine)
        s = self.settings
        env = {**os.environ, "SWITCHBOARD_INSTANCE_DIR": str(s.instance_dir),
               "SWITCHBOARD_DATABASE_URL": self.url, "SWITCHBOARD_SECRET_KEY": s.secret_key,
               "SWITCHBOARD_SMS_SECRET": s.sms_secret, "SWITCHBOARD_WEB_PORT": str(s.web_port),
               "SWITCHBOARD_KANNEL_SENDSMS_PORT": str(s.kannel_sendsms_port),
               "SWITCHBOARD_KANNEL_ADMIN_PORT": str(s.kannel_admin_port)}
        self.web = Process(["web", "--host", "127.0.0.1", "--port", str(s.web_port)], env,
                           self.tmp / "web.log")
        self.sender = Process(["sms-sender"], env, self.tmp / "sender.log")
        try:
            self.gateway = gateway.up(s)
            self.web.start()
            self._wait(lambda: not _port_free(s.web_port), "the web app to listen")
            self.sender.start()
        except BaseException:
            self.close()
            raise

    def _wait(self, done, what: str, timeout: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            time.sleep(0.1)

    def lead_list(self, phones: list[str], zone: str | None = None) -> int:
        """A list of leads (``ref`` field R<n>, the key the SMSC side is counted by)."""
        with self.sessions.begin() as session:
            lead_list = LeadList(name=f"sms {time.time()}")
            session.add(lead_list)
            session.flush()
            session.execute(insert(Lead), [
                {"list_id": lead_list.id, "phone": p, "timezone": zone,
                 "fields": {"first_name": f"客户{i}", "ref": f"R{i}"}} for i, p in enumerate(phones)])
            return lead_list.id

    def broadcast(self, list_id: int, template: str, rate_per_s: float,
                  profile: ComplianceProfile = ComplianceProfile.US) -> int:
        with self.sessions.begin() as session:
            return store.create_broadcast(session, store.BroadcastSpec(
                "lab", template, list_id, None, "", profile, "UTC", rate_per_s, datetime.now(UTC))).id

    def statuses(self, broadcast_id: int) -> dict[SmsStatus, int]:
        with self.sessions() as session:
            return store.counts(session, [broadcast_id])[broadcast_id]

    def wait_accounted(self, broadcast_id: int, timeout: float = WAIT_S) -> dict[SmsStatus, int]:
        """Wait until every message of the broadcast is delivered, failed or blocked."""
        self._wait(lambda: not any(self.statuses(broadcast_id)[s] for s in OPEN), "every delivery report",
                   timeout)
        return self.statuses(broadcast_id)

    def accepted_times(self, broadcast_id: int) -> list[float]:
        with self.sessions() as session:
            return sorted(t.timestamp() for t in session.scalars(
                select(SmsMessage.accepted_at).where(SmsMessage.broadcast_id == broadcast_id,
                                                     SmsMessage.accepted_at.is_not(None))))

    def sent_count(self, broadcast_id: int) -> int:
        """Messages Kannel has taken or reported on so far."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.broadcast_id == broadcast_id,
                SmsMessage.status.not_in((SmsStatus.QUEUED, SmsStatus.SENDING)))) or 0

    def settled_count(self, broadcast_id: int, error: str) -> int:
        """Messages the sender settled with ``error`` (e.g. their report was lost with a killed smsbox)."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.broadcast_id == broadcast_id, SmsMessage.error == error)) or 0

    def received(self) -> list[tuple[str, str]]:
        return received_texts(self.gateway.received_log)

    def close(self) -> None:
        self.sender.stop()
        self.web.stop()
        gateway.down(self.settings)
        self._engine.dispose()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
