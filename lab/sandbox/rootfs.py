"""The Debian sid root both sandbox Asterisk instances run from (``chroot``).

Built once with ``debootstrap`` and cached outside the repository. The root's
directory name carries a stamp of the recipe (suite + package list), so a
changed recipe builds a fresh root instead of silently reusing a stale one.
The build happens in a temporary directory next to the final one and is
renamed into place only when complete: an interrupted build never leaves a
half-made root that a later ``up`` would trust.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import click

SUITE = "sid"
#: asterisk-modules: chan_pjsip, app_amd, app_mixmonitor ...; the wav prompts for
#: greetings and agent audio; baresip-core and sox for tests that need a real
#: third-party SIP phone or want to inspect audio inside the root.
PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-wav",
    "baresip-core",
    "sox",
)
MARKER = ".switchboard-root"
ASTERISK = "/usr/sbin/asterisk"
CHROOT = "/usr/sbin/chroot"  # coreutils; absolute because a plain user PATH lacks sbin


def stamp() -> str:
    recipe = f"{SUITE}\n" + "\n".join(sorted(PACKAGES))
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def root_dir(cache: Path) -> Path:
    return cache / f"root-{stamp()}"


def is_built(root: Path) -> bool:
    return (root / MARKER).is_file() and (root / ASTERISK.lstrip("/")).is_file()


def require_root_user() -> None:
    if os.geteuid() != 0:
        raise click.ClickException("run as root (chroot needs it): sudo switchboard pbx sandbox ...")


def require_debootstrap() -> str:
    """The debootstrap executable (also found in sbin when PATH lacks it)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which("debootstrap", path=search)
    if found is None:
        raise click.ClickException(
            "debootstrap is missing: run `apt-get install debootstrap`"
            " (needed once to build the Asterisk root)."
        )
    return found


@contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def ensure_root(cache: Path, echo=click.echo) -> Path:
    """Return the cached root, building it first if missing (~1 min on a fast link)."""
    root = root_dir(cache)
    if is_built(root):
        return root
    require_root_user()
    debootstrap = require_debootstrap()
    with _lock(cache / ".build.lock"):
        if is_built(root):  # another process built it while we waited
            return root
        tmp = cache / f".build-{stamp()}-{os.getpid()}"
        echo(f"building the Asterisk root (debootstrap {SUITE}, once) in {root} ...")
        started = time.monotonic()
        try:
            _debootstrap(debootstrap, tmp)
            (tmp / MARKER).write_text(f"suite={SUITE}\npackages={','.join(PACKAGES)}\n")
            if root.exists():  # a leftover without marker: never trusted, replace it
                _remove_tree(root)
            os.rename(tmp, root)
        finally:
            if tmp.exists():
                _remove_tree(tmp)
        echo(f"root built in {time.monotonic() - started:.0f} s")
    return root


def _debootstrap(debootstrap: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    log = target.parent / "debootstrap.log"
    cmd = [debootstrap, "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(target)]
    with open(log, "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise click.ClickException(f"debootstrap failed (exit {proc.returncode}); end of {log}:\n{tail}")


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mounts") as fh:
        points = [line.split()[1].encode().decode("unicode_escape") for line in fh]
    return sorted((p for p in points if p.startswith(prefix)), reverse=True)


def _remove_tree(path: Path) -> None:
    """Delete a (partial) root, but only once nothing is mounted inside it.

    debootstrap mounts /proc and /sys in the target while it works; deleting
    through a live mount would try to delete the host's files.
    """
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", point], check=False)
    if _mounts_under(path):
        raise click.ClickException(f"{path}: still has mounts inside, not deleting it; unmount and remove it")
    shutil.rmtree(path)
