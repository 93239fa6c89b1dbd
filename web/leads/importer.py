"""The import pipeline as pure functions: file rows in, lead rows and numbered problems out.

Nothing here touches the database, so every rule (E.164, time zone, duplicate,
DNC) is tested without one and the service only has to insert the result in
one transaction. Line numbers are the file's own (the header is line 1), so
the error report points at the line a supervisor sees in a spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat
from phonenumbers import timezone as pn_timezone

from web.csvsafe import safe_csv

#: Lead attributes a column can map to; any other mapped column goes to ``fields``.
TARGETS = ("phone", "external_ref", "timezone")
_PHONE_WORDS = ("phone", "number", "tel", "mobile", "msisdn", "numero", "telephone")
_REF_WORDS = ("ref", "id", "customer", "account")
_TZ_WORDS = ("timezone", "time_zone", "tz")
# Mobile ranges map to every zone of a country (UK mobiles: Guernsey, Isle of Man,
# Jersey, London): take the zone where most of its people live when it is a candidate.
_MAIN_ZONE: dict[int | None, str] = {
    44: "Europe/London",
    33: "Europe/Paris",
    34: "Europe/Madrid",
    351: "Europe/Lisbon",
    86: "Asia/Shanghai",
    47: "Europe/Oslo",
    45: "Europe/Copenhagen",
    31: "Europe/Amsterdam",
}


#: What a phone cell may hold: a leading "+", then digits and the separators people type.
_PLAIN_NUMBER = re.compile(r"\+?[0-9 ().\-]+")


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


def decode(raw: bytes) -> str:
    """The text of a CSV file, whatever a spreadsheet saved it as.

    Order matters: a BOM is certain; UTF-8 almost never decodes text that is
    not UTF-8; UTF-16 without a BOM shows as NUL bytes between ASCII letters;
    GB18030 (a superset of GBK, what Excel saves "CSV" as on a Chinese
    Windows) decodes many byte strings, so it is only taken when the text it
    gives is mostly common Chinese (GB2312) characters; cp1252 (Western
    Windows exports) is the last resort and decodes anything.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw, "utf-8-sig")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    sample = raw[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        even_nuls = sample[0::2].count(0)
        return _strict(raw, "utf-16-be" if even_nuls > len(sample) // 4 else "utf-16-le")
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        wide = [ch for ch in text if ord(ch) > 0x7F]
        common = sum(1 for ch in wide if _is_gb2312(ch))
        if common * 10 >= len(wide) * 9:
            return text
    return raw.decode("cp1252", errors="replace")


def _is_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _strict(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileError(f"the file is not valid {encoding.upper()} (byte {exc.start})") from None


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    text = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # strict: an unterminated quote is an error, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("the file is empty") from None
    except csv.Error as exc:
        raise FileError(f"line 1: {_csv_reason(exc)}") from None
    header = _checked_header(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1  # a quoted cell may span lines: report where the row starts
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(f"line {start}: {_csv_reason(exc)}") from None
            if any(c.strip() for c in cells):
                yield start, cells

    return header, rows()


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's error in a supervisor's words (its own text speaks of its internals)."""
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quote is opened and never closed"
    if "field larger than field limit" in text:
        return "a cell is longer than 128 KB (a quote opened and never closed?)"
    if "NUL" in text or "null byte" in text:
        return "the line holds a NUL character: is this a text (CSV) file?"
    if "new-line character seen in unquoted field" in text:
        return "a line break inside a cell that is not in quotes"
    if "expected" in text and "after" in text:
        return "text follows a closing quote in the same cell (write a quote inside a quoted cell as \"\")"
    return "this line cannot be read as CSV"


def _checked_header(cells: list[str]) -> list[str]:
    """Header names, stripped; a name used twice is an error (one column's values would be lost)."""
    header = [h.strip() for h in cells]
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue
        if name.lower() in first:
            raise FileError(
                f"line 1: column {i + 1} has the same name as column {first[name.lower()] + 1} ({name!r})"
            )
        first[name.lower()] = i
    return header


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    # A stream, not the path: openpyxl refuses a path whose name lacks an Excel
    # extension, and uploads are stored under a fixed name.
    try:
        workbook = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        first = next(it, None)
    except Exception:  # openpyxl raises anything from zipfile, XML parsers and its own readers
        raise FileError("not a readable Excel workbook: save it as .xlsx (Excel 2007 or later) or as CSV"
                        ) from None
    if first is None:
        raise FileError("the sheet is empty")
    header = _checked_header([_cell(v) for v in first])

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 1
        try:
            for line, values in enumerate(it, start=2):
                cells = [_cell(v) for v in values]
                if any(c.strip() for c in cells):
                    yield line, cells
        except Exception:  # malformed XML further down the sheet
            raise FileError(f"line {line + 1}: the sheet is damaged from here on; save it again from Excel"
                            ) from None

    return header, rows()


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
_LAST_REGION: dict[int | None, str] = {}  # (phonenumbers types the code as optional)


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


#: What the phone library's parse errors mean, in the words of someone fixing the file (its own
#: messages name its internals: "The string supplied did not seem to be a phone number").
_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        "unknown country code: write the number with + and its country code, or choose the list's country",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
    phonenumbers.NumberParseException.TOO_LONG: "too long to be a phone number",
}


def normalise(raw: str, region: str) -> Normalised | str:
    """E.164 and the number's time zone, or the reason it is not dialable."""
    text = raw.strip(" ")
    if not text:
        return "empty phone number"
    if not _PLAIN_NUMBER.fullmatch(text):
        # phonenumbers would drop what it does not understand ("$", ",1", a line
        # break, an extension) and dial something the file never said.
        return "not a phone number: use only digits and spaces - . ( ) and a leading +"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return _PARSE_REASONS.get(exc.error_type, "not a phone number")
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
    existing: AbstractSet[str] = frozenset(),  # phones already in the target list
    dnc: AbstractSet[str] = frozenset(),
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
    """CSV: line, reason, value: what the supervisor fixes in the source file (formulas escaped)."""
    return safe_csv(["line", "reason", "value"], ((p.line, p.reason, p.value) for p in problems))
