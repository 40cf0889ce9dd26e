"""Security headers on every response, private caching of what a signed-in user is sent, and the refusal of NUL
characters in any input."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from enable.errors import UserError

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


NUL = "\x00"


def _has_nul(value: Any) -> bool:
    """True when a JSON value holds a NUL character in any string (keys included), however deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _in_pairs(pairs: Iterable[tuple[Any, Any]]) -> bool:
    return any(NUL in str(k or "") or NUL in str(v or "") for k, v in pairs)


def request_has_nul() -> bool:
    """True when the path, a query argument, a form field or a JSON string (or key) holds a NUL.

    No text of ours may hold one, and PostgreSQL refuses to store it (a server error much later).
    """
    if NUL in request.path or _in_pairs(request.args.items(multi=True)):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            if _in_pairs(request.form.items(multi=True)):
                return True
            # (an upload's file name is not refused: it is only display text, cleaned where it is stored)
        elif request.is_json and _has_nul(request.get_json(silent=True)):
            return True
    return False


def init_app(app: Flask) -> None:
    """Refuse input with NUL characters; add CSP (no inline script), nosniff, framing and referrer rules."""

    @app.before_request
    def refuse_nul() -> None:
        if request_has_nul():
            raise UserError(_("The request holds a NUL character (\\0), which no text here may contain. "
                              "Remove it and try again."))

    @app.after_request
    def keep_private(response: Response) -> Response:
        # A page for a signed-in user is personal: no shared cache (a proxy, a CDN) may keep it, nor the browser's
        # history hand it to the next person at the keyboard. Static files are the same for everyone; a response
        # that chose private caching itself (recordings, captions: revalidated, so range requests still work) keeps it.
        if request.endpoint != "static" and not response.cache_control.private and current_user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"
        return response

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
