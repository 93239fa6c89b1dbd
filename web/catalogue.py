"""The translation catalogue's upkeep: extract the English strings, merge them into each language's
``messages.po``, compile the ``.mo`` files the app reads (``scripts/translations`` runs these; the tests
run ``extract`` and ``problems`` to find strings nobody translated).

The ``.mo`` files are committed next to their ``.po`` so a fresh clone (or an installed package) reads
them without a build step; ``stale_mo`` says when one no longer matches its ``.po``.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parent
ROOT = WEB.parent
TRANSLATIONS = WEB / "translations"
DOMAIN = "messages"
#: What is searched, and how: the web package's Python and its templates.
METHOD_MAP = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
#: Besides gettext & co.: ``N_`` (web.messages: marked, translated later), ``_l``/``_p`` (lazy: web.labels).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_l": None, "lazy_gettext": None, "_p": ((1, "c"), 2),
            "lazy_pgettext": ((1, "c"), 2)}
#: Named placeholders (``%(name)s``, ``{name}`` in the wallboard's script texts) a translation must keep.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def extract() -> Catalog:
    """Every marked string of the web package, as a template catalogue (what ``messages.pot`` holds)."""
    catalog = Catalog(project="Switchboard", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def locales() -> list[str]:
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").exists())


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def _forms(message: Message) -> list[str]:
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    return [str(i) for i in ids]


def _strings(message: Message) -> list[str]:
    s = message.string
    return [str(x) for x in s] if isinstance(s, (list, tuple)) else [str(s or "")]


def problems(locale: str, template: Catalog | None = None) -> list[str]:
    """What is wrong with ``locale``'s catalogue against the extracted strings: a msgid missing or not
    translated (or fuzzy), a translation whose named placeholders differ from its msgid's."""
    template = template or extract()
    catalog = read(locale)
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if found is None:
            out.append(f"missing: {message.id!r} ({where})")
            continue
        strings = _strings(found)
        if found.fuzzy or not all(strings):
            out.append(f"untranslated: {message.id!r} ({where})")
            continue
        wanted = set().union(*(placeholders(i) for i in _forms(message)))
        for text in strings:
            if placeholders(text) != wanted:
                out.append(f"placeholders differ: {message.id!r} -> {text!r}")
    return out


def update(locale: str) -> None:
    """Merge the extracted strings into ``locale``'s ``.po`` (new ones empty, gone ones dropped)."""
    catalog = read(locale)
    catalog.update(extract(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with po_path(locale).open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False)


def compiled(locale: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, read(locale), use_fuzzy=False)
    return buf.getvalue()


def compile_mo(locale: str) -> None:
    po_path(locale).with_suffix(".mo").write_bytes(compiled(locale))


def stale_mo(locale: str) -> bool:
    """Whether the committed ``.mo`` says something its ``.po`` does not (or lacks a translation)."""
    mo = po_path(locale).with_suffix(".mo")
    if not mo.exists():
        return True
    with mo.open("rb") as fh:
        have = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m.string
                for m in read_mo(fh) if m.id}
    want = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m.string
            for m in read(locale) if m.id and not m.fuzzy}
    norm = {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in have.items()}
    return norm != {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in want.items()}


def main(argv: list[str]) -> int:
    """``update`` merges and compiles every language; ``check`` lists what is untranslated (exit 1)."""
    command = argv[0] if argv else "check"
    if command == "update":
        for locale in locales():
            update(locale)
            compile_mo(locale)
        return 0
    if command == "compile":
        for locale in locales():
            compile_mo(locale)
        return 0
    template = extract()
    bad = [f"{locale}: {p}" for locale in locales() for p in problems(locale, template)]
    bad += [f"{locale}: the .mo is older than the .po (run scripts/translations)"
            for locale in locales() if stale_mo(locale)]
    print("\n".join(bad) or f"{len(template)} strings, every language translated")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
