"""The pages' language, time zone and number formats (Flask-Babel): English and Simplified Chinese.

Which language a request gets: the signed-in user's saved choice (``users.language``), else the choice
made before signing in (kept in the session), else the browser's Accept-Language, else English. Times
are shown in the centre's time zone (``Settings.centre_timezone``), numbers and money (``Settings.currency``)
per the language, through the filters registered here, so a template never formats either by hand.

The catalogue is ``web/translations/<locale>/LC_MESSAGES/messages.po``, compiled to the ``.mo`` kept next
to it (``scripts/translations`` extracts, updates and compiles; a test fails when the two disagree).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import lists, numbers
from flask import Blueprint, Flask, current_app, flash, redirect, request, session
from flask_babel import Babel, format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

from store.models import User
from web.db import db
from web.labels import label
from web.messages import Code, Message, Seconds

#: The languages offered, by Babel locale name, each named in itself (the switch shows these).
LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}
DEFAULT = "en"
#: The BCP 47 tag of each for ``<html lang>`` (screen readers pick their voice from it).
HTML_LANG = {"en": "en", "zh_Hans_CN": "zh-Hans-CN"}
SESSION_KEY = "language"

bp = Blueprint("i18n", __name__)


def from_accept_language(accept: LanguageAccept) -> str:
    """The first offered language the browser accepts, best quality first: any ``zh`` (zh-CN, zh-Hans,
    zh-TW ...) reads Simplified Chinese rather than English; nothing that matches gives English."""
    for tag, _quality in accept:  # werkzeug keeps them sorted by quality
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            return "zh_Hans_CN"
        if primary == "en":
            return "en"
    return DEFAULT


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module's docstring for the order)."""
    saved = getattr(current_user, "language", None) if current_user.is_authenticated else None
    if saved in LANGUAGES:
        return saved
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.accept_languages)


def select_timezone() -> str:
    return current_app.config["SWITCHBOARD_SETTINGS"].centre_timezone


def locale_name() -> str:
    """The request's Babel locale name: a ``LANGUAGES`` key (also part of the shared live boards' keys)."""
    return str(get_locale() or DEFAULT)


def html_lang() -> str:
    return HTML_LANG.get(locale_name(), "en")


def _safe_next(target: str | None) -> str:
    """Back to the page the switch was on: a path of this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@bp.post("/language")
def choose():
    """The language switch in the nav: saved on the user when signed in, else in the session."""
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        flash(_("No such language."), "error")
        return redirect(_safe_next(request.form.get("next")))
    session[SESSION_KEY] = language
    if current_user.is_authenticated:
        user = db().get(User, current_user.id)
        if user is not None:
            user.language = language
            db().commit()
    return redirect(_safe_next(request.form.get("next")))


# Filters: every number, amount, rate and time a page shows goes through one of these.

def number(value: float | int | Decimal | None, digits: int | None = None) -> str:
    """A number per the language (grouping); ``digits``: exactly that many decimals."""
    if value is None:
        return ""
    if digits is None:
        return numbers.format_decimal(value, locale=locale_name())
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=locale_name())


def percent(fraction: float | Decimal | None, digits: int = 1) -> str:
    """A fraction (0.0321) as a percentage per the language ("3.2%")."""
    if fraction is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return numbers.format_percent(fraction, format=pattern, locale=locale_name())


def money(amount: float | int | Decimal | None) -> str:
    """An amount in the centre's currency per the language ("¥1,234.50", "CN¥1,234.50")."""
    if amount is None:
        return ""
    currency = current_app.config["SWITCHBOARD_SETTINGS"].currency
    return numbers.format_currency(amount, currency, locale=locale_name())


def local_time(at: datetime | str | None, fmt: str = "HH:mm:ss") -> str:
    """A UTC time (or its ISO text) in the centre's time zone (a CLDR pattern, or short/medium/long)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return format_datetime(at, fmt) if at is not None else ""


def local_datetime(at: datetime | None) -> str:
    """A date and time in the centre's time zone, to the minute, in the language's order."""
    return format_datetime(at, "yyyy-MM-dd HH:mm") if at is not None else ""


def fill(message: str, params: Mapping[str, object]) -> str:
    """``message`` (an English msgid marked elsewhere with ``N_``) in the reader's language, its named
    placeholders filled: times in the centre's zone, numbers per the language, text as it is."""
    shown: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            shown[name] = local_datetime(value)
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            shown[name] = number(value)
        elif isinstance(value, Code):
            shown[name] = label(value.value, value.kind)
        elif isinstance(value, Seconds):
            shown[name] = number(value.value, value.digits)
        elif isinstance(value, Message):
            shown[name] = say(value)
        else:
            shown[name] = value
    return _(message, **shown)


def say(message: Message | str) -> str:
    """A ``Message`` (or a plain English msgid) in the reader's language: the ``say`` filter."""
    if isinstance(message, Message):
        return fill(message.message, message.params) if message.message else ""
    return _(message) if message else ""


def centre_hours(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Hourly rows (each with its hour's UTC start, ``at``) labelled with that hour in the centre's zone."""
    return [{**row, "hour": local_time(str(row["at"]), "HH:mm")} for row in rows]


def listing(items: list[str]) -> str:
    """Words joined as the language joins a list ("a, b and c", "a、b和c")."""
    return lists.format_list([str(i) for i in items], locale=locale_name()) if items else ""


def zone_label() -> str:
    """The centre's time zone as the pages name it next to times."""
    return select_timezone()


def init_app(app: Flask) -> None:
    """Wire Flask-Babel, the switch and the filters; an unknown centre time zone stops the start, said why."""
    zone = app.config["SWITCHBOARD_SETTINGS"].centre_timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"setting centre_timezone: {zone!r} is not an IANA time zone "
                         "(e.g. Asia/Shanghai)") from None
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, HTML_LANG=HTML_LANG, html_lang=html_lang,
                                 locale_name=locale_name,
                                 zone_label=zone_label)
    app.jinja_env.filters.update(number=number, percent=percent, money=money, local_time=local_time,
                                 local_datetime=local_datetime, say=say, listing=listing,
                                 centre_hours=centre_hours)
