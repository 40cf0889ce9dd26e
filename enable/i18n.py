"""Interface language: the user's setting, else the browser's, among the supported languages."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal as babel_format_decimal
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import format_date, format_decimal, format_time, get_locale, get_translations, ngettext
from flask_login import current_user
from markupsafe import Markup


def select_locale() -> str:
    """Choose the locale for this request."""
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _translations() -> NullTranslations:
    """Flask-Babel's translations for this request, looked up once per request (and locale) instead of per string.

    A page calls _() dozens of times; each Flask-Babel lookup resolves the domain, the locale and its cache key
    again. The memo is kept beside Flask-Babel's own request state and trusted only while that state still holds
    the same locale and domain objects, so force_locale() and refresh() are honoured.
    """
    state = g.get("_flask_babel") if g else None
    if state is None:
        return get_translations()
    memo = getattr(state, "enable_translations", None)
    locale, domain = getattr(state, "babel_locale", None), getattr(state, "babel_domain", None)
    if memo is not None and locale is not None and memo[0] is locale and memo[1] is domain:
        return memo[2]
    translations = get_translations()
    state.enable_translations = (getattr(state, "babel_locale", None), getattr(state, "babel_domain", None),
                                 translations)
    return translations


def _number_locale() -> Locale:
    """The request's locale for numbers; English outside an app (pure code called from a script or a test)."""
    return get_locale() or Locale.parse("en")


def number_text(value: float) -> str:
    """A number as short as it goes, in the locale's notation, no grouping: 1500, 2.5 (en), 2,5 (ru)."""
    return babel_format_decimal(value, format="0.######", locale=_number_locale())


def number_cell(cell: str) -> str:
    """A report cell holding a machine-readable number ("33.3", "-2", "41000.00", as the CSV export writes it) in
    the page's notation with the same decimals and grouped thousands (41,000.00; 41 000,00 on a Russian page);
    any other text unchanged."""
    if not cell or not (cell[0].isdigit() or cell[0] == "-"):
        return cell
    try:
        value = Decimal(cell)
    except InvalidOperation:
        return cell
    places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
    return babel_format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=_number_locale())


def percent_text(fraction: float, places: int = 1) -> str:
    """A fraction as a percentage with a fixed number of decimals in the locale's notation:
    0.125 -> 12.5% (en), 12,5\u00a0% (ru, a non-breaking space before the sign)."""
    locale = _number_locale()
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (places, places)
    return pattern.apply(fraction, locale)


# Content languages (playbooks): BCP 47 tags such as en, ru, pt-BR, zh-Hant.
_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
MAX_TAG = 35


def language_tag(value: str | None) -> str | None:
    """value as a BCP 47 language tag in its usual letter case (ru, pt-BR, zh-Hant), or None when it is not one
    (not well formed, or a language Babel does not know)."""
    value = (value or "").strip().replace("_", "-")
    if len(value) > MAX_TAG or not _TAG_RE.match(value):
        return None
    first, *rest = value.split("-")
    parts = [first.lower()] + [p.title() if len(p) == 4 and p.isalpha() else p.upper() if len(p) == 2 else p.lower()
                               for p in rest]
    try:
        Locale.parse(parts[0])
    except (ValueError, UnknownLocaleError):
        return None
    return "-".join(parts)


def default_language() -> str:
    """The site's default language as a language tag (new content is written in it unless told otherwise)."""
    code = current_app.config["BABEL_DEFAULT_LOCALE"] if has_app_context() else "en"
    return language_tag(code) or "en"


def language_name(code: str) -> str:
    """A language's name in the interface language, capitalised: Russian (en), Русский (ru); else the code."""
    try:
        name = Locale.parse(code, sep="-").get_display_name(_number_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def language_label(code: str) -> str:
    """A language named for a picker: in the reader's language, with its own name beside it when that differs, so
    a reader finds their language either way: "Russian (Русский)" in English, "Английский (English)" in Russian,
    "Русский" in Russian."""
    name = language_name(code)
    try:
        own = Locale.parse(code, sep="-").get_display_name(Locale.parse(code, sep="-"))
    except (ValueError, UnknownLocaleError):
        return name
    own = own[:1].upper() + own[1:] if own else ""
    return name if not own or own == name else f"{name} ({own})"


def language_choices(also: str | None = None) -> list[tuple[str, str]]:
    """(tag, name) of the languages the interface offers, plus `also` (a content's current language) if absent."""
    codes = [language_tag(c) or c for c in current_app.config["LANGUAGES"]]
    if also and also not in codes:
        codes.append(also)
    return [(code, language_name(code)) for code in codes]


def lang_attrs(code: str | None) -> Markup:
    """` lang="…"` (and `dir="rtl"` for a right-to-left language) for an element whose text is in `code`, when that
    differs from the page's language; else nothing."""
    page = str(get_locale() or "en").replace("_", "-")
    if not code or code == page:
        return Markup("")
    attrs = Markup(' lang="%s"') % code
    try:
        if Locale.parse(code, sep="-").text_direction == "rtl":
            attrs += Markup(' dir="rtl"')
    except (ValueError, UnknownLocaleError):
        pass
    return attrs


@lru_cache(maxsize=4096)
def _calendar_date_text(value: date, fmt: str, locale: Locale) -> str:
    return format_date(value, fmt)  # Flask-Babel formats in get_locale(), the locale in the key


def date_text(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date in the request's language ("" for none): the `date` filter.

    Calendar dates are remembered per language: a page of search results formats the same few call dates twenty
    times, and each Babel call costs more than the rest of a result row. Datetimes (in the user's time zone) are
    formatted each time.
    """
    if not value:
        return ""
    if type(value) is date:
        return _calendar_date_text(value, fmt, get_locale() or Locale.parse("en"))
    return format_date(value, fmt)


def datetime_text(value: datetime | None) -> str:
    """A moment in the request's language and the user's time zone ("" for none): the `datetime` filter.

    The date part is written as ``date_text`` writes dates ("Nov 28, 2026, 10:00 AM" beside "Nov 30, 2026"),
    so one page never mixes "11/28/26" with "Nov 30, 2026"; the time without seconds.
    """
    if not value:
        return ""
    locale = get_locale() or Locale.parse("en")
    pattern = locale.datetime_formats.get("medium", "{1}, {0}")
    return str(pattern).replace("{1}", format_date(value, "medium")).replace("{0}", format_time(value, "short"))


def days_text(days: float | None) -> str:
    """A span of days as people say it: "1 day", "64 days" (never "64.0 days"), "5 hours" under a day."""
    if days is None:
        return ""
    if days < 1:
        hours = max(1, round(days * 24))
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    whole = round(days)
    return ngettext("%(num)d day", "%(num)d days", whole)


def init_app(app: Flask) -> None:
    """Expose locale-aware formatting to templates; templates translate through the per-request lookup."""
    # As Flask-Babel installs them, with _translations() (the method comes from jinja2.ext.i18n).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["date"] = date_text
    app.jinja_env.filters["datetime"] = datetime_text
    app.jinja_env.filters["days"] = days_text
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
    # A fixed number of decimals in the locale's notation, no grouping: 30.0 in English, 30,0 in Russian.
    app.jinja_env.filters["decimal"] = lambda value, places=1: (
        format_decimal(value, format="0." + "0" * places if places else "0") if value is not None else "")
    app.jinja_env.filters["percent"] = lambda fraction, places=1: (
        percent_text(fraction, places) if fraction is not None else "")
    app.jinja_env.filters["number_cell"] = number_cell
    app.jinja_env.globals["lang_attrs"] = lang_attrs

    @app.context_processor
    def locale_context() -> dict:
        return {"current_locale": str(get_locale() or "en")}
