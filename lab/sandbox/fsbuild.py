"""Build FreeSWITCH 1.10.12 (with sofia-sip and spandsp) once into a private, cached prefix.

FreeSWITCH is in neither Debian's nor PyPI's registry, so the sandbox builds it
from source. The sources are the vendored tarballs next to the repository
(``<repo>/../shared/vendor`` or the ``vendor_dir`` setting), checked against the
sha256 sums below; without them, the same tags are downloaded from GitHub.

The prefix directory's name carries a hash of every input (source checksums,
module list, configure flags, recipe version): a changed recipe builds into a
new prefix instead of reusing a stale one, and an unchanged recipe is never
rebuilt. The binary finds the two private libraries through an rpath, never a
system-wide copy. The marker file is written last, so an interrupted build is
wiped and redone rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from lab.sandbox.rootfs import _lock, require_root_user

RECIPE_VERSION = 1
MARKER = ".switchboard-build"
JOBS = 2


@dataclass(frozen=True)
class Source:
    name: str
    tarball: str  # file name in the vendor dir
    sha256: str  # of that tarball
    url: str  # the same tag as a GitHub archive, used only without the vendor dir
    topdir: str  # directory the vendored tarball unpacks to


SOFIA = Source(
    "sofia-sip", "sofia-sip-1.13.17.tar.xz",
    "b5c77adabe15da423993222e2af828b6a6aab8f673acf7fb5730deef62a86b07",
    "https://github.com/freeswitch/sofia-sip/archive/refs/tags/v1.13.17.tar.gz", "sofia-sip-1.13.17")
#: Pinned before the V.18 API change that FreeSWITCH 1.10.12's mod_spandsp does not build against.
SPANDSP = Source(
    "spandsp", "spandsp-0d2e6ac.tar.xz",
    "b485284616da7a378bc7896f316126580bb8e66bd6f0e62fe7cc1a15f0ce8d46",
    "https://github.com/freeswitch/spandsp/archive/0d2e6ac65e.tar.gz",
    "spandsp-0d2e6ac")
FREESWITCH = Source(
    "freeswitch", "freeswitch-1.10.12.tar.xz",
    "ca0c4325a018d3309159810a22447a444894d1230d2b660dbdfcac055edbccc2",
    "https://github.com/signalwire/freeswitch/archive/refs/tags/v1.10.12.tar.gz", "freeswitch-1.10.12")
SOURCES = (SOFIA, SPANDSP, FREESWITCH)

#: Debian packages the three builds need (checked with dpkg, installed with apt-get when missing).
BUILD_DEPS = (
    "build-essential", "autoconf", "automake", "libtool", "libtool-bin", "pkg-config", "libssl-dev",
    "libcurl4-openssl-dev", "libpcre3-dev", "libspeex-dev", "libspeexdsp-dev", "libedit-dev",
    "libsqlite3-dev", "libtiff-dev", "uuid-dev", "zlib1g-dev", "libopus-dev", "libsndfile1-dev",
    "libjpeg-dev", "yasm", "nasm", "libldns-dev", "libpq-dev", "libncurses-dev",
)
#: The only modules the sandbox loads (and therefore builds): call control, SIP, ESL, AMD,
#: callcenter, mod_xml_curl, and the file formats for recordings and prompts.
MODULES = (
    "applications/mod_avmd", "applications/mod_callcenter", "applications/mod_commands",
    "applications/mod_db", "applications/mod_dptools", "applications/mod_expr", "applications/mod_hash",
    "applications/mod_spandsp", "codecs/mod_opus", "dialplans/mod_dialplan_xml", "endpoints/mod_loopback",
    "endpoints/mod_sofia", "event_handlers/mod_event_socket", "formats/mod_native_file",
    "formats/mod_sndfile", "formats/mod_tone_stream", "loggers/mod_console", "loggers/mod_logfile",
    "xml_int/mod_xml_curl", "say/mod_say_en",
)
CONFIGURE_FLAGS = ("--disable-libvpx", "--disable-libyuv", "--disable-debug", "--disable-fhs")
BINARY = "bin/freeswitch"
REPO = Path(__file__).resolve().parents[2]


def default_vendor_dir() -> Path:
    """``<repo>/../shared/vendor``; from a git worktree nested deeper, the nearest such ancestor."""
    for parent in REPO.parents:
        if (parent / "shared" / "vendor").is_dir():
            return parent / "shared" / "vendor"
    return REPO.parent / "shared" / "vendor"


def build_key() -> str:
    recipe = {"version": RECIPE_VERSION, "sources": [s.sha256 for s in SOURCES], "modules": MODULES,
              "configure": CONFIGURE_FLAGS}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def prefix_dir(cache: Path) -> Path:
    return cache / f"freeswitch-{build_key()}"


def is_built(prefix: Path) -> bool:
    return (prefix / MARKER).is_file() and (prefix / BINARY).is_file()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def missing_packages(packages: tuple[str, ...] = BUILD_DEPS) -> list[str]:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *packages],
                         capture_output=True, text=True, check=False).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def ensure_packages(packages: tuple[str, ...] = BUILD_DEPS, echo: Callable[[str], None] = click.echo) -> None:
    """Install the Debian packages that are missing (none: nothing runs)."""
    missing = missing_packages(packages)
    if not missing:
        return
    echo(f"installing build dependencies: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"apt-get install failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def fetch_source(source: Source, vendor: Path, downloads: Path, echo: Callable[[str], None]) -> Path:
    """The source tarball: the vendored copy (checksum verified) or a download of the same tag.

    GitHub's generated archives have no published checksum, so a download is
    checked for what can be checked (it unpacks, holds ``configure.ac``) and
    its sha256 is printed for the record.
    """
    vendored = vendor / source.tarball
    if vendored.is_file():
        actual = sha256_of(vendored)
        if actual != source.sha256:
            raise click.ClickException(f"{vendored}: sha256 {actual}, expected {source.sha256}; "
                                       "refusing to build from a changed tarball")
        return vendored
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / f"{source.name}-{source.sha256[:12]}.tar.gz"
    if not target.is_file():
        echo(f"{vendored} is absent: downloading {source.url}")
        partial = target.with_suffix(".part")
        try:
            # One of the pinned https URLs above, never a file: or custom scheme.
            download = urllib.request.urlopen(source.url, timeout=120)  # noqa: S310
            with download as response, open(partial, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise click.ClickException(f"cannot download {source.url} ({exc}); put {source.tarball} in "
                                       f"{vendor} or set vendor_dir") from None
        os.replace(partial, target)
    echo(f"{source.name}: downloaded archive sha256 {sha256_of(target)} (no published checksum to compare)")
    return target


def _unpack(tarball: Path, into: Path) -> Path:
    """Unpack and return the single top-level directory."""
    into.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(into, filter="tar")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def _run(cmd: list[str], cwd: Path, log: Path, env: dict[str, str]) -> None:
    with open(log, "a") as out:
        out.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n")
        out.flush()
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-25:])
        raise click.ClickException(f"build step {' '.join(cmd)} failed (exit {done.returncode}); "
                                   f"end of {log}:\n{tail}")


def _autotools_build(src: Path, prefix: Path, log: Path, env: dict[str, str],
                     configure: tuple[str, ...] = ()) -> None:
    _run(["./bootstrap.sh", *(["-j"] if (src / "src" / "switch.c").exists() else [])], src, log, env)
    _run(["./configure", f"--prefix={prefix}", *configure], src, log, env)
    _run(["make", f"-j{JOBS}"], src, log, env)
    _run(["make", "install"], src, log, env)


def ensure_freeswitch(cache: Path, vendor: Path | None = None,
                      echo: Callable[[str], None] = click.echo) -> Path:
    """Return the installed prefix, building everything first if it is missing."""
    prefix = prefix_dir(cache)
    if is_built(prefix):
        return prefix
    require_root_user()
    vendor = vendor or default_vendor_dir()
    with _lock(cache / ".fsbuild.lock"):
        if is_built(prefix):  # built by another process while we waited
            return prefix
        ensure_packages(echo=echo)
        tarballs = {s.name: fetch_source(s, vendor, cache / "downloads", echo) for s in SOURCES}
        if prefix.exists():  # no marker: an interrupted build, never trusted
            shutil.rmtree(prefix)
        work = cache / f".fsbuild-{build_key()}-{os.getpid()}"
        log = cache / f"freeswitch-{build_key()}.build.log"
        log.write_text("")
        echo(f"building FreeSWITCH 1.10.12 (once) into {prefix}; log {log} ...")
        started = time.monotonic()
        env = {**os.environ, "PKG_CONFIG_PATH": str(prefix / "lib" / "pkgconfig"),
               "LDFLAGS": f"-Wl,-rpath,{prefix / 'lib'}"}
        try:
            for source in SOURCES:
                src = _unpack(tarballs[source.name], work / source.name)
                if source is FREESWITCH:
                    (src / "modules.conf").write_text("\n".join(MODULES) + "\n")
                    _autotools_build(src, prefix, log, env, CONFIGURE_FLAGS)
                else:
                    _autotools_build(src, prefix, log, env)
            elapsed = time.monotonic() - started
            (prefix / MARKER).write_text(json.dumps({"key": build_key(), "build_s": round(elapsed),
                                                      "sources": {s.name: s.sha256 for s in SOURCES}}))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        echo(f"FreeSWITCH built in {elapsed:.0f} s")
    return prefix
