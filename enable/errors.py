"""User-facing errors and the HTTP error handlers (HTML pages, or JSON under /api/)."""

from __future__ import annotations

import errno
import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from enable import reasons
from enable.extensions import db
from enable.reasons import Reason

log = logging.getLogger(__name__)


class UserError(Exception):
    """Something the user can fix; the message says what to do next."""

    status_code = 400

    def __init__(self, message: str, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # when it may be stored: its code and parameters (``enable.reasons``)

    @classmethod
    def because(cls, why: Reason) -> UserError:
        """The error with a registered reason, its message in the current language."""
        return cls(reasons.text(why.code, why.params, why.english), why)


class NotAllowed(UserError):
    """The acting user may not do this."""

    status_code = 403


class StorageFull(UserError):
    """A write failed because the server's disk (or the user's quota on it) is full; nothing was half-written."""

    status_code = 507


_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")
_FULL_SQLSTATES = {"53100"}  # PostgreSQL: disk_full


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether an error, or one it was raised from, says the disk is full: OSError ENOSPC/EDQUOT, SQLite's
    "database or disk is full", PostgreSQL's disk_full (wrapped by SQLAlchemy or not)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        original = getattr(exc, "orig", None)  # a SQLAlchemy DBAPIError wraps the driver's error
        for candidate in (exc, original):
            if candidate is None:
                continue
            if getattr(candidate, "sqlstate", None) in _FULL_SQLSTATES or getattr(candidate, "pgcode", None) \
                    in _FULL_SQLSTATES:
                return True
            if not isinstance(candidate, OSError) and any(t in str(candidate).lower() for t in _FULL_TEXTS):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_message() -> str:
    """What a user is told when a write failed on a full disk."""
    return _("The server's disk is full, so this could not be saved. Ask your admin to free disk space, then try "
             "again.")


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
          500: "server_error", 503: "unavailable", 507: "insufficient_storage"}


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
        if is_disk_full(e):  # any write (database, files, queue) on a full disk: say so, not "something went wrong"
            log.error("disk full on %s %s: %s", request.method, request.path, e)
            return _render(507, disk_full_message())
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, str(_TITLES[500]))
