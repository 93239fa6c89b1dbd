"""The import pipeline as pure functions: file rows in, lead rows and numbered problems out.

Nothing here touches the database, so every rule (E.164, time zone, duplicate,
DNC) is tested without one and the service only has to insert the result in
one transaction. Line numbers are the file's own (the header is line 1), so
the error report points at the line a supervisor sees in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat
from phonenumbers import timezone as pn_timezone

#: Lead attributes a column can map to; any other mapped column goes to ``fields``.
TARGETS = ("phone", "external_ref", "timezone")
_PHONE_WORDS = ("phone", "number", "tel", "mobile", "msisdn", "numero", "telephone")
_REF_WORDS = ("ref", "id", "customer", "account")
_TZ_WORDS = ("timezone", "time_zone", "tz")
# Mobile ranges map to every zone of a country (UK mobiles: Guernsey, Isle of Man,
# Jersey, London): take the zone where most of its people live when it is a candidate.
_MAIN_ZONE = {
    44: "Europe/London",
    33: "Europe/Paris",
    34: "Europe/Madrid",
    351: "Europe/Lisbon",
    86: "Asia/Shanghai",
    47: "Europe/Oslo",
    45: "Europe/Copenhagen",
    31: "Europe/Amsterdam",
}


class FileError(ValueError):
    """The file as a whole cannot be read (nothing is imported)."""


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str
    value: str = ""


@dataclass
class Mapping:
    """Column index -> target: a name in ``TARGETS``, ``field:<name>`` or ignored (absent)."""

    phone: int
    external_ref: int | None = None
    timezone: int | None = None
    fields: dict[str, int] = field(default_factory=dict)


@dataclass
class Prepared:
    rows: list[dict[str, object]]
    problems: list[Problem]
    duplicates: int = 0
    dnc: int = 0
    total: int = 0


def read_table(path: Path, filename: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and (line number, cells) of a CSV or XLSX file."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path)
    raise FileError(f"unsupported file type {suffix!r} (CSV or XLSX)")


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # spreadsheets on Windows export this
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("the file is empty") from None
    except csv.Error as exc:
        raise FileError(f"line 1: {exc}") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise FileError(f"line {reader.line_num}: {exc}") from None

    return [h.strip() for h in header], rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FileError(f"not a readable XLSX file ({exc})") from None
    it = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(v) for v in next(it)]
    except StopIteration:
        raise FileError("the sheet is empty") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, values in enumerate(it, start=2):
            cells = [_cell(v) for v in values]
            if any(c.strip() for c in cells):
                yield line, cells

    return [h.strip() for h in header], rows()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 447700900123 as 447700900123.0
    return str(value)


def guess_mapping(header: list[str]) -> Mapping:
    """A first guess for the mapping form: a phone-like column, a reference, a zone; others as fields."""
    lowered = [h.lower().replace(" ", "_") for h in header]

    def find(words: tuple[str, ...], exclude: set[int]) -> int | None:
        for i, name in enumerate(lowered):
            if i not in exclude and any(w in name for w in words):
                return i
        return None

    phone = find(_PHONE_WORDS, set())
    if phone is None:
        raise FileError("no phone column found; map one")
    tz = find(_TZ_WORDS, {phone})
    ref = find(_REF_WORDS, {phone} | ({tz} if tz is not None else set()))
    used = {i for i in (phone, tz, ref) if i is not None}
    fields = {h: i for i, h in enumerate(header) if i not in used and h}
    return Mapping(phone=phone, external_ref=ref, timezone=tz, fields=fields)


@dataclass(frozen=True)
class Normalised:
    phone: str
    timezone: str


#: Country code -> the region the last valid number of that code belonged to. A
#: list's numbers mostly share a region; trying it first skips the walk over
#: every region of a shared code (25 for +1), which is most of the cost.
_LAST_REGION: dict[int, str] = {}


def _is_valid(number: phonenumbers.PhoneNumber) -> bool:
    """Same answer as ``phonenumbers.is_valid_number``, faster on lists from one region."""
    cached = _LAST_REGION.get(number.country_code)
    if cached is not None and phonenumbers.is_valid_number_for_region(number, cached):
        return True
    region = phonenumbers.region_code_for_number(number)
    if region is not None and phonenumbers.is_valid_number_for_region(number, region):
        _LAST_REGION[number.country_code] = region
        return True
    return False


def normalise(raw: str, region: str) -> Normalised | str:
    """E.164 and the number's time zone, or the reason it is not dialable."""
    text = raw.strip()
    if not text:
        return "empty phone number"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return f"not a phone number ({exc})"
    valid = _is_valid(number)
    if not valid and text.isdigit() and len(text) > 10:
        # Spreadsheets drop the "+" of international numbers stored as numbers.
        try:
            number = phonenumbers.parse("+" + text, region)
        except phonenumbers.NumberParseException:
            return "invalid phone number"
        valid = _is_valid(number)
    if not valid:
        return "invalid phone number"
    # The number is valid, so the prefix table can be read directly
    # (time_zones_for_number would classify the number again: half the cost).
    zones = pn_timezone.time_zones_for_geographical_number(number)
    main = _MAIN_ZONE.get(number.country_code)
    if main in zones:
        zone = main
    else:
        zone = zones[0] if zones and zones[0] != pn_timezone.UNKNOWN_TIMEZONE else "UTC"
    return Normalised(phonenumbers.format_number(number, PhoneNumberFormat.E164), zone)


def prepare(
    rows: Iterable[tuple[int, list[str]]],
    mapping: Mapping,
    region: str,
    *,
    existing: set[str] = frozenset(),  # phones already in the target list
    dnc: set[str] = frozenset(),
    progress: Callable[[int], None] | None = None,
) -> Prepared:
    """Validate, normalise, dedupe and DNC-scrub; every skipped row is a numbered problem."""
    from zoneinfo import available_timezones

    zones = available_timezones()
    seen = set(existing)
    out = Prepared([], [])
    for count, (line, cells) in enumerate(rows, start=1):
        out.total = count
        if progress is not None and count % 5000 == 0:
            progress(count)
        raw_phone = _at(cells, mapping.phone)
        result = normalise(raw_phone, region)
        if isinstance(result, str):
            out.problems.append(Problem(line, result, raw_phone))
            continue
        if result.phone in seen:
            out.duplicates += 1
            out.problems.append(Problem(line, "duplicate number", result.phone))
            continue
        seen.add(result.phone)
        if result.phone in dnc:
            out.dnc += 1
            out.problems.append(Problem(line, "on the do-not-call list", result.phone))
            continue
        zone = result.timezone
        if mapping.timezone is not None:
            given = _at(cells, mapping.timezone).strip()
            if given and given not in zones:
                out.problems.append(Problem(line, "unknown time zone", given))
                continue
            zone = given or zone
        ref = _at(cells, mapping.external_ref).strip()[:64] if mapping.external_ref is not None else None
        out.rows.append(
            {
                "phone": result.phone,
                "timezone": zone,
                "external_ref": ref or None,
                "fields": {name: _at(cells, i) for name, i in mapping.fields.items()},
            }
        )
    return out


def _at(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def error_report(problems: Iterable[Problem]) -> str:
    """CSV: line, reason, value: what the supervisor fixes in the source file."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["line", "reason", "value"])
    writer.writerows((p.line, p.reason, p.value) for p in problems)
    return buf.getvalue()
