"""A real third-party SIP phone for tests: Debian's baresip, run inside the sandbox's root.

One process registers one account and prints the registrar's answer; the
helper reads its output until the REGISTER succeeded or failed (no sleeps).
The process is stopped by its own pid.
"""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from tempfile import mkdtemp

BARESIP = "/usr/bin/baresip"
OK = re.compile(r"\b200 OK\b")
FAILED = re.compile(r"\b(401|403|404|407) [A-Za-z ]+|failed", re.IGNORECASE)


class Phone:
    def __init__(
        self, root: Path, user: str, password: str, registrar: str, local_ip: str = "127.0.0.8"
    ) -> None:
        self.root = root
        inner = Path(mkdtemp(prefix="sb-web-baresip-", dir=root / "tmp"))
        self.host_dir = inner
        self.inner_dir = "/" + str(inner.relative_to(root))
        (inner / "config").write_text(
            "\n".join(
                [
                    f"sip_listen {local_ip}:0",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module_app account.so",
                    "sip_trans_def udp",
                    "",
                ]
            )
        )
        (inner / "accounts").write_text(
            f"<sip:{user}@{registrar};transport=udp>;auth_pass={password};regint=60;audio_codecs=PCMU\n"
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            ["chroot", str(root), BARESIP, "-f", self.inner_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip())
        self.lines.put("")  # EOF marker

    def registration(self, timeout: float = 15.0) -> str:
        """``"ok"`` or the failure line, as soon as baresip prints the registrar's answer."""
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError("no REGISTER answer from baresip:\n" + "\n".join(seen)) from None
            seen.append(line)
            if OK.search(line):
                return "ok"
            if FAILED.search(line) or (line == "" and self.proc.poll() is not None):
                return line or "baresip exited:\n" + "\n".join(seen)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.host_dir, ignore_errors=True)
