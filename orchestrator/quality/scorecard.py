"""A scorecard's shape and the arithmetic of a score: weights, N.A., critical items, calibration spread.

A form version is plain data (sections of items) so the store can keep it as one JSON document
per version: a published version never changes, and a score keeps the version it was given on,
so editing the form later (a new version) cannot re-score old calls.

The score (issue 14): each answered item earns a fraction of its weight (yes 1, no 0, a scale
``v`` of ``0..max`` earns ``v/max``); N.A. takes the item out (its weight leaves the possible
total), so a call is not marked down for a question that did not apply. The percentage is
earned / possible * 100, rounded half-up to 0.01; a form whose every item is N.A. scores 100.
A critical item that earns nothing (a "no", or the bottom of its scale) fails the whole call:
its score is 0 whatever the rest earned, and the failed items are named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
NA = "na"
MAX_SCALE = 10
MAX_WEIGHT = Decimal(100)


class Kind(StrEnum):
    YES_NO = "yes_no"
    SCALE = "scale"


class FormError(ValueError):
    """A form or an answer that does not fit; the message names the item."""


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    weight: Decimal
    kind: Kind = Kind.YES_NO
    scale_max: int = 5
    critical: bool = False
    allows_na: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise FormError("an item needs a question")
        if not self.weight.is_finite() or not 0 < self.weight <= MAX_WEIGHT:
            raise FormError(f"{self.text[:40]!r}: the weight is a number above 0 and at most {MAX_WEIGHT}")
        if self.kind is Kind.SCALE and not 1 <= self.scale_max <= MAX_SCALE:
            raise FormError(f"{self.text[:40]!r}: a scale goes from 0 to a top of 1 to {MAX_SCALE}")

    def fraction(self, answer: str) -> Decimal | None:
        """What share of its weight ``answer`` earns; None for N.A. Bad answers raise ``FormError``."""
        if answer == NA:
            if not self.allows_na:
                raise FormError(f"{self.text[:40]!r} cannot be N.A.")
            return None
        if self.kind is Kind.YES_NO:
            if answer not in ("yes", "no"):
                raise FormError(f"{self.text[:40]!r}: answer yes or no")
            return Decimal(1) if answer == "yes" else Decimal(0)
        if not answer.isdigit() or not 0 <= int(answer) <= self.scale_max:
            raise FormError(f"{self.text[:40]!r}: give a whole number from 0 to {self.scale_max}")
        return Decimal(int(answer)) / self.scale_max


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Form:
    sections: tuple[Section, ...]

    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def check_publishable(self) -> None:
        """A form to score with: at least one item, item keys unique."""
        keys = [item.key for item in self.items()]
        if not keys:
            raise FormError("a form needs at least one item before it is published")
        if len(set(keys)) != len(keys):
            raise FormError("two items share a key")


@dataclass(frozen=True)
class Result:
    percent: Decimal
    earned: Decimal
    possible: Decimal
    failed_critical: tuple[str, ...]  # the keys of critical items that earned nothing

    @property
    def failed(self) -> bool:
        return bool(self.failed_critical)


def score(form: Form, answers: Mapping[str, str]) -> Result:
    """Score ``answers`` (item key → "yes", "no", "na" or a scale number) on ``form``; every item answered."""
    earned = possible = Decimal(0)
    failed = []
    for item in form.items():
        answer = answers.get(item.key, "").strip().lower()
        if not answer:
            raise FormError(f"{item.text[:40]!r} is not answered")
        fraction = item.fraction(answer)
        if fraction is None:
            continue
        earned += item.weight * fraction
        possible += item.weight
        if item.critical and fraction == 0:
            failed.append(item.key)
    percent = HUNDRED if possible == 0 else (earned * HUNDRED / possible)
    if failed:
        percent = Decimal(0)
    return Result(percent.quantize(CENT, ROUND_HALF_UP), earned, possible, tuple(failed))


@dataclass(frozen=True)
class Spread:
    """How far several scorers of one call are apart (calibration)."""

    count: int
    low: Decimal
    high: Decimal
    mean: Decimal
    stdev: Decimal  # population standard deviation

    @property
    def range(self) -> Decimal:
        return self.high - self.low


def spread(percents: Sequence[Decimal]) -> Spread | None:
    """The spread of several scores of one call; None without any."""
    if not percents:
        return None
    mean = sum(percents, Decimal(0)) / len(percents)
    variance = sum(((p - mean) ** 2 for p in percents), Decimal(0)) / len(percents)
    stdev = Decimal(math.sqrt(variance)) if variance else Decimal(0)
    return Spread(len(percents), min(percents), max(percents), mean.quantize(CENT, ROUND_HALF_UP),
                  stdev.quantize(CENT, ROUND_HALF_UP))


# -- as stored: one JSON document per form version ------------------------------------------------


def to_json(form: Form) -> dict[str, Any]:
    return {"sections": [
        {"title": s.title, "items": [
            {"key": i.key, "text": i.text, "weight": str(i.weight), "kind": i.kind.value,
             "scale_max": i.scale_max, "critical": i.critical, "allows_na": i.allows_na}
            for i in s.items]}
        for s in form.sections]}


def from_json(doc: Mapping[str, Any]) -> Form:
    return Form(tuple(
        Section(str(s["title"]), tuple(
            Item(str(i["key"]), str(i["text"]), Decimal(str(i["weight"])), Kind(i["kind"]),
                 int(i.get("scale_max", 5)), bool(i.get("critical")), bool(i.get("allows_na")))
            for i in s["items"]))
        for s in doc.get("sections", [])))


# -- building a draft ------------------------------------------------------------------------------

MAX_SECTIONS = 30
MAX_ITEMS = 100


def add_section(form: Form, title: str) -> Form:
    title = title.strip()
    if not title or len(title) > 128:
        raise FormError("a section needs a title of at most 128 characters")
    if len(form.sections) >= MAX_SECTIONS:
        raise FormError(f"a form has at most {MAX_SECTIONS} sections")
    return Form((*form.sections, Section(title, ())))


def next_key(form: Form) -> str:
    """A key no item of the form has: ``i<n>``. Keys survive into later versions, so an item's
    answers can be compared across versions."""
    numbers = [int(i.key[1:]) for i in form.items() if i.key[:1] == "i" and i.key[1:].isdigit()]
    return f"i{max(numbers, default=0) + 1}"


def add_item(form: Form, section: int, item: Item) -> Form:
    if not 0 <= section < len(form.sections):
        raise FormError("add a section first, then items to it")
    if len(form.items()) >= MAX_ITEMS:
        raise FormError(f"a form has at most {MAX_ITEMS} items")
    if len(item.text) > 500:
        raise FormError("a question has at most 500 characters")
    sections = list(form.sections)
    sections[section] = Section(sections[section].title, (*sections[section].items, item))
    return Form(tuple(sections))


def remove_item(form: Form, key: str) -> Form:
    if key not in {i.key for i in form.items()}:
        raise FormError("no such item on this version")
    return Form(tuple(Section(s.title, tuple(i for i in s.items if i.key != key)) for s in form.sections))
