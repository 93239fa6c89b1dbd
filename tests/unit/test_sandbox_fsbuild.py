"""The FreeSWITCH build's inputs: pinned checksums, the cache key, an interrupted build never trusted."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import click
import pytest

from lab.sandbox import fsbuild

VENDOR = fsbuild.default_vendor_dir()
needs_vendor = pytest.mark.skipif(not (VENDOR / fsbuild.SOFIA.tarball).is_file(),
                                  reason="the vendored tarballs are not next to this checkout")


@needs_vendor
def test_the_vendored_tarballs_match_their_pinned_checksums() -> None:
    for source in fsbuild.SOURCES:
        assert fsbuild.fetch_source(source, VENDOR, Path("/nonexistent"), print) == VENDOR / source.tarball


@needs_vendor
def test_a_changed_tarball_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / fsbuild.SOFIA.tarball
    shutil.copyfile(VENDOR / fsbuild.SOFIA.tarball, tampered)
    with open(tampered, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(click.ClickException, match="refusing to build"):
        fsbuild.fetch_source(fsbuild.SOFIA, tmp_path, tmp_path / "downloads", print)


def test_the_cache_key_covers_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    key = fsbuild.build_key()
    assert fsbuild.prefix_dir(Path("/c")) == Path(f"/c/freeswitch-{key}")
    monkeypatch.setattr(fsbuild, "MODULES", fsbuild.MODULES[:-1])
    assert fsbuild.build_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(fsbuild, "SOURCES", (replace(fsbuild.SOFIA, sha256="0" * 64), *fsbuild.SOURCES[1:]))
    assert fsbuild.build_key() != key


def test_a_prefix_without_its_marker_is_not_a_build(tmp_path: Path) -> None:
    """An interrupted build (binary installed, marker never written) is rebuilt, not trusted."""
    prefix = fsbuild.prefix_dir(tmp_path)
    (prefix / "bin").mkdir(parents=True)
    (prefix / fsbuild.BINARY).write_text("")
    assert not fsbuild.is_built(prefix)
    (prefix / fsbuild.MARKER).write_text("{}")
    assert fsbuild.is_built(prefix)
    assert fsbuild.ensure_freeswitch(tmp_path) == prefix  # found: nothing is built or installed


@needs_vendor
def test_without_the_vendor_dir_the_same_tag_is_downloaded_once(tmp_path: Path) -> None:
    """The download path, with a file:// URL standing in for GitHub (no internet on the build machines)."""
    source = replace(fsbuild.SOFIA, url=(VENDOR / fsbuild.SOFIA.tarball).as_uri())
    said: list[str] = []
    got = fsbuild.fetch_source(source, tmp_path / "no-vendor", tmp_path / "downloads", said.append)
    assert got.parent == tmp_path / "downloads"
    assert got.read_bytes() == (VENDOR / source.tarball).read_bytes()
    assert said[0].endswith(f"downloading {source.url}")
    assert fsbuild.SOFIA.sha256 in said[1]
    said.clear()
    assert fsbuild.fetch_source(source, tmp_path / "no-vendor", tmp_path / "downloads", said.append) == got
    assert not any("downloading" in line for line in said)  # kept from the first time
