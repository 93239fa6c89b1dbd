"""The sandbox's number encoding and its user-facing errors (no Asterisk needed)."""

from __future__ import annotations

import click
import phonenumbers
import pytest
from phonenumbers import timezone

from provisioning.sandbox import rootfs
from provisioning.sandbox.world import Outcome, outcome_header, trunk_dial, world_number


@pytest.mark.parametrize("outcome", list(Outcome))
def test_world_numbers_are_valid_nanp_numbers_that_carry_outcome_and_talk_time(outcome):
    number = world_number(outcome, talk_s=7, serial=42, area_code="415")
    assert number == f"+14155{outcome.digit}07042"
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed)  # the lead importer accepts it
    assert timezone.time_zones_for_number(parsed) == ("America/Los_Angeles",)


def test_outcome_digits_are_distinct_and_stable():
    assert [o.digit for o in Outcome] == [1, 2, 3, 4, 5, 6]
    assert Outcome.HUMAN.digit == 1 and Outcome.MACHINE.digit == 5


@pytest.mark.parametrize("kwargs", [{"talk_s": 100}, {"talk_s": -1}, {"serial": 1000}, {"area_code": "099"},
                                    {"area_code": "20"}])
def test_world_number_rejects_what_does_not_fit(kwargs):
    with pytest.raises(ValueError):
        world_number(Outcome.HUMAN, **kwargs)


def test_header_and_dial_string():
    assert outcome_header(Outcome.MACHINE, 20) == "machine/20"
    assert trunk_dial("+12015100001") == "PJSIP/+12015100001@world"


def test_not_root_says_to_run_as_root(monkeypatch):
    monkeypatch.setattr(rootfs.os, "geteuid", lambda: 1000)
    with pytest.raises(click.ClickException, match=r"run as root \(chroot needs it\)"):
        rootfs.require_root_user()


def test_missing_debootstrap_says_what_to_install(monkeypatch):
    monkeypatch.setattr(rootfs.shutil, "which", lambda name, path=None: None)
    with pytest.raises(click.ClickException, match="apt-get install debootstrap"):
        rootfs.require_debootstrap()


def test_root_dir_changes_with_the_package_list(monkeypatch, tmp_path):
    before = rootfs.root_dir(tmp_path)
    monkeypatch.setattr(rootfs, "PACKAGES", (*rootfs.PACKAGES, "asterisk-opus"))
    assert rootfs.root_dir(tmp_path) != before
    assert not rootfs.is_built(rootfs.root_dir(tmp_path))
