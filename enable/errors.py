"""User-facing errors and the HTTP error handlers (HTML pages, or JSON under /api/)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from enable.extensions import db

log = logging.getLogger(__name__)


class UserError(Exception):
    """Something the user can fix; the message says what to do next."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The acting user may not do this."""

    status_code = 403


_TITLES = {
    400: _l("This request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("This file is too large."),
    429: _l("Too many attempts; wait a moment and try again."),
    500: _l("Something went wrong on our side. The error was logged."),
}


# The machine-readable code of each status in JSON errors: {"error": {"code": "not_found", "message": "..."}}.
_CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
          500: "server_error", 503: "unavailable"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(code: int, message: str):
    if _wants_json():
        return jsonify({"error": {"code": _CODES.get(code, "error"), "message": message}}), code
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return _render(400, _("The form expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = e.code or 500
        if code == 413:
            message = _("This file is larger than the %(mb)s MB limit.", mb=app.config["MAX_UPLOAD_MB"])
        else:
            message = str(_TITLES.get(code, e.name))
        body, status = _render(code, message)
        # The exception's own headers stay (Allow on a 405, WWW-Authenticate, Retry-After); the body is ours.
        return body, status, [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]

    @app.errorhandler(UserError)
    def user_error(e: UserError):
        return _render(e.status_code, e.message)

    @app.errorhandler(Exception)
    def server_error(e: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, str(_TITLES[500]))
