"""Interface language: the user's setting, else the browser's, among the supported languages."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
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


def init_app(app: Flask) -> None:
    """Expose locale-aware formatting to templates."""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
    # A fixed number of decimals in the locale's notation, no grouping: 30.0 in English, 30,0 in Russian.
    app.jinja_env.filters["decimal"] = lambda value, places=1: (
        format_decimal(value, format="0." + "0" * places if places else "0") if value is not None else "")

    @app.context_processor
    def locale_context() -> dict:
        return {"current_locale": str(get_locale() or "en")}
