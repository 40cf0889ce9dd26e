"""Interface language: the user's setting, else the browser's, among the supported languages."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user


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


def init_app(app: Flask) -> None:
    """Expose locale-aware formatting to templates; templates translate through the per-request lookup."""
    app.jinja_env.install_gettext_callables(  # as Flask-Babel installs them, with _translations()
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
    # A fixed number of decimals in the locale's notation, no grouping: 30.0 in English, 30,0 in Russian.
    app.jinja_env.filters["decimal"] = lambda value, places=1: (
        format_decimal(value, format="0." + "0" * places if places else "0") if value is not None else "")

    @app.context_processor
    def locale_context() -> dict:
        return {"current_locale": str(get_locale() or "en")}
