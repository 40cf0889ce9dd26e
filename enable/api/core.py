"""The API's machinery: operations declared once (route + OpenAPI entry), token auth, scopes, roles, rate limit,
cursor pagination and the error shape.

Every /api/v1 route is made by `operation(...)`, which registers the Flask route and records the operation for the
OpenAPI document, so the two cannot drift apart.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from limits import parse, storage, strategies
from sqlalchemy import Select, and_, or_

from enable.api import bp, validation
from enable.api.tokens import ApiToken, authenticate
from enable.auth.models import Role, User
from enable.errors import UserError
from enable.extensions import db, login_manager
from enable.reasons import N_
from enable.request_args import MAX_ID

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
JSON = "application/json"


class ApiError(UserError):
    """An API failure with its HTTP status, a short machine-readable code and a readable message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status
        self.code = code
        self.headers = headers or {}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message or _("There is no such item, or it is not visible to you."))


# Operations -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON schema, whether it repeats (?a=1&a=2) and what it means."""

    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Body:
    """A request body: its media type (JSON or multipart form) and schema."""

    schema: dict[str, Any]
    media: str = JSON
    encoding: dict[str, Any] | None = None


@dataclass(frozen=True)
class Reply:
    """A documented response: its description and a schema per media type."""

    description: str
    content: dict[str, dict[str, Any]] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    endpoint: str  # api.<function name>
    method: str
    rule: str  # the Flask rule under /api/v1, e.g. /calls/<int:call_id>
    role: Role | None  # None: public (no token)
    write: bool  # needs a read-write token
    summary: str
    tag: str
    description: str = ""
    params: tuple[Param, ...] = ()
    body: Body | None = None
    replies: dict[int, Reply] = field(default_factory=dict)
    path_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The OpenAPI path of the rule: /calls/{call_id}."""
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", self.rule)


OPERATIONS: list[Operation] = []


def ok(schema: dict[str, Any], description: str = N_("Success")) -> Reply:
    return Reply(description, {JSON: schema})


def operation(method: str, rule: str, *, role: Role | None, summary: str, tag: str, description: str = "",
              params: Sequence[Param] = (), body: Body | None = None, replies: dict[int, Reply] | None = None,
              write: bool | None = None, path_schemas: dict[str, dict[str, Any]] | None = None) -> Callable:
    """Declare an API operation: the route under /api/v1 and its OpenAPI entry, guarded by token, scope and role.

    The view receives the URL's values as keyword arguments; `api_user()` is the token's owner.
    """
    is_write = method != "GET" if write is None else write

    def decorator(view: Callable) -> Callable:
        op = Operation(endpoint=f"{bp.name}.{view.__name__}", method=method, rule=rule, role=role, write=is_write,
                       summary=summary, tag=tag, description=description or (view.__doc__ or "").strip(),
                       params=tuple(params), body=body, replies=dict(replies or {200: ok({"type": "object"})}),
                       path_schemas=dict(path_schemas or {}))

        @wraps(view)
        def guarded(**kwargs: Any) -> Any:
            if role is not None:
                _authorize(role, is_write)
            if any(isinstance(v, int) and v > MAX_ID for v in kwargs.values()):
                raise not_found()
            if (problem := _request_problem(op)) is not None:
                raise invalid(problem)
            try:
                return view(**kwargs)
            except UserError:
                db.session.rollback()
                raise

        guarded.required_role = role  # type: ignore[attr-defined]  # read by the access-matrix test
        bp.add_url_rule(rule, view.__name__, guarded, methods=[method])
        OPERATIONS.append(op)
        return guarded

    return decorator


def _request_problem(op: Operation) -> str | None:
    """Why the request's query arguments or body do not fit what the operation declares, or None."""
    for param in op.params:
        if param.name in request.args and (
                problem := validation.text_problem(param.name, param.schema, request.args.getlist(param.name))):
            return problem
    if op.body is None:
        return None
    if op.body.media == JSON and request.is_json:
        data = request.get_json(silent=True)  # cached: the view's json_body() gets this same dict
        if not isinstance(data, dict):
            return None
        validation.integral_numbers(op.body.schema, data)
        return validation.object_problem(op.body.schema, data)
    if op.body.media == "multipart/form-data":
        return validation.form_problem(op.body.schema, request.form)
    return None


# Authentication, scope, role ----------------------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _authorize(role: Role, write: bool) -> None:
    """Only a token authenticates (never the session cookie); then the rate limit, the scope and the role.

    A valid token is never refused for failures counted against its address (behind a proxy, or a shared NAT, that
    address is everyone's): only requests that fail authentication are counted, and only they get the 429."""
    secret = _bearer()
    token = authenticate(secret) if secret is not None else None
    if token is None:
        _count_failure()
        if secret is None:
            raise ApiError(401, "unauthorized", _("Send a personal API token as “Authorization: Bearer <token>”."),
                           {"WWW-Authenticate": 'Bearer realm="enable"'})
        raise ApiError(401, "unauthorized", _("This API token is unknown, revoked, or its account is deactivated."),
                       {"WWW-Authenticate": 'Bearer realm="enable", error="invalid_token"'})
    g.api_token = token
    g.api_user = token.user
    g._login_user = token.user  # Flask-Login's current_user (the locale, shared helpers) is the token's owner
    _rate_limit(token)
    if write and not token.scope.can_write:
        raise ApiError(403, "forbidden", _("This token may only read; create a read-write token to make changes."))
    if not token.user.has_role(role):
        raise ApiError(403, "forbidden", _("Your role does not allow this."))


@bp.before_request
def _ignore_the_session() -> None:
    """Never load a user from the session cookie under /api/v1: until a token says otherwise, nobody is signed in."""
    g._login_user = login_manager.anonymous_user()


@bp.after_request
def _private(response):
    """Answers depend on the token: shared caches must not keep them."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


def api_user() -> User:
    """The owner of the token that authenticated this request."""
    return g.api_user


def api_token() -> ApiToken:
    return g.api_token


# Rate limit ---------------------------------------------------------------------------------------------------


def init_rate_limit(app: Flask) -> None:
    """Count requests per token, and refused tokens per client address, in a moving window: in this process
    (memory://), or in Redis shared by every web worker."""
    uri = app.config.get("API_RATE_LIMIT_STORAGE")
    if not uri:
        queue_url = app.config.get("QUEUE_URL") or ""
        uri = queue_url if queue_url.startswith(("redis://", "rediss://")) else "memory://"
    limits = {}
    for name in ("API_RATE_LIMIT", "API_AUTH_FAILURE_LIMIT"):
        try:
            limits[name] = parse(str(app.config[name]))
        except ValueError as e:
            raise RuntimeError(f"{name} must read like 300/minute or 10/second, not {app.config[name]!r}") from e
    # Said where it matters: under gunicorn's several processes (one process, as `flask serve`, counts it whole).
    if uri.startswith("memory://") and not app.testing and "gunicorn.arbiter" in sys.modules:
        log.warning("API rate limits are counted in memory, per process: each web worker allows the whole limit. "
                    "Set API_RATE_LIMIT_STORAGE=redis://... when serving with several workers (gunicorn -w N).")
    limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(uri))
    app.extensions["enable_api_rate"] = (limiter, limits["API_RATE_LIMIT"])
    app.extensions["enable_api_auth_failures"] = (limiter, limits["API_AUTH_FAILURE_LIMIT"])


def _count_failure() -> None:
    """Count a refused token (401) against the client's address (behind TRUSTED_PROXIES, the address they
    forwarded); past API_AUTH_FAILURE_LIMIT the address's failing requests get 429 until its window moves on."""
    limiter, limit = current_app.extensions["enable_api_auth_failures"]
    key = request.remote_addr or "unknown"
    if limiter.hit(limit, "enable-api-auth-failures", key):
        return
    reset_at = limiter.get_window_stats(limit, "enable-api-auth-failures", key).reset_time
    retry = max(1, math.ceil(reset_at - time.time()))
    raise ApiError(429, "rate_limited", _("Too many requests with a missing or unknown token from your address; "
                                          "wait %(s)d seconds.", s=retry), {"Retry-After": str(retry)})


def _rate_limit(token: ApiToken) -> None:
    limiter, limit = current_app.extensions["enable_api_rate"]
    key = token.token_hash[:32]  # unique across sites sharing one Redis (ids are not)
    if limiter.hit(limit, "enable-api-token", key):
        return
    reset_at = limiter.get_window_stats(limit, "enable-api-token", key).reset_time
    retry = max(1, math.ceil(reset_at - time.time()))
    raise ApiError(429, "rate_limited", _("Too many requests with this token; wait %(s)d seconds.", s=retry),
                   {"Retry-After": str(retry)})


# Arguments ----------------------------------------------------------------------------------------------------


def arg_int(name: str, *, default: int | None = None, low: int = 1, high: int = MAX_ID) -> int | None:
    """An integer query argument within [low, high], else a 400."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise invalid(_("“%(name)s” must be a whole number from %(low)d to %(high)d.", name=name, low=low,
                        high=high))
    return int(raw)


def arg_choice(name: str, choices: Sequence[str], default: str | None = None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise invalid(_("“%(name)s” must be one of: %(choices)s.", name=name, choices=", ".join(choices)))
    return raw


def json_body() -> dict[str, Any]:
    """The request's JSON object, else a 400."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise invalid(_("Send a JSON object with the Content-Type application/json."))
    return data


def reply(data: Any, status: int = 200):
    return jsonify(data), status


# Cursor pagination --------------------------------------------------------------------------------------------

LIST_PARAMS = (
    Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
          N_("How many items to return (with a cursor: by default the page size that cursor was given out for).")),
    Param("cursor", {"type": "string", "maxLength": 200},
          N_("The next_cursor of the previous page (signed: a cursor of another list, or an altered one, is a 400).")),
)


def list_of(item: dict[str, Any]) -> dict[str, Any]:
    """The schema of one page of a list."""
    return {"type": "object", "required": ["data", "next_cursor"], "properties": {
        "data": {"type": "array", "items": item},
        "next_cursor": {"type": ["string", "null"],
                        "description": N_("Pass as ?cursor= for the next page; null at the end.")},
    }}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: an offset (lists of a fixed order) or the sort key + id of the last item seen
    (newest-first lists, whose pages stay right when items are added or removed between requests); and the page
    size the list was read with, kept when the next request does not say ?limit=."""

    offset: int = 0
    key: list[Any] | None = None
    limit: int = DEFAULT_LIMIT


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="enable-api-cursor")


def encode_cursor(*, limit: int, offset: int | None = None, key: list[Any] | None = None) -> str:
    """A signed cursor for the current list (a cursor of one list is refused by the others; none can be forged)."""
    data: dict[str, Any] = {"e": request.endpoint, "l": limit}
    if key is not None:
        data["k"] = key
    else:
        data["o"] = offset or 0
    return _signer().dumps(data)


def _bad_cursor() -> ApiError:
    # A string the document allows but no list gave out: a 422, as the document says of well-formed refusals.
    return ApiError(422, "invalid", _("This cursor is not one the API gave out for this list; start again without it."))


def read_cursor() -> Cursor:
    """The page asked for by ?cursor= and ?limit= (the cursor's page size when ?limit= is absent), else a 400/422."""
    given = arg_int("limit", high=MAX_LIMIT)
    raw = request.args.get("cursor") or ""
    if not raw:
        return Cursor(limit=given or DEFAULT_LIMIT)
    refused = _bad_cursor()
    try:
        data = _signer().loads(raw)
    except BadData:
        raise refused from None
    if not isinstance(data, dict) or data.get("e") != request.endpoint:
        raise refused
    limit = data.get("l")
    offset = data.get("o", 0)
    key = data.get("k")
    if not isinstance(limit, int) or not isinstance(offset, int) or isinstance(limit, bool) \
            or isinstance(offset, bool) or offset < 0 or not 1 <= limit <= MAX_LIMIT \
            or not (key is None or isinstance(key, list)):
        raise refused
    return Cursor(offset=offset, key=key, limit=given or limit)


def page_window() -> tuple[int, int]:
    """(offset, limit) of the page asked for by ?cursor= and ?limit=."""
    cursor = read_cursor()
    return cursor.offset, cursor.limit


def page(items: Sequence[Any], render: Callable[[Any], dict[str, Any]], *, offset: int, limit: int,
         has_more: bool | None = None) -> dict[str, Any]:
    """A page in the list shape; `items` is either the whole list (sliced here) or one page plus one."""
    if has_more is None:
        chunk = list(items[offset:offset + limit])
        more = len(items) > offset + limit
    else:
        chunk, more = list(items[:limit]), has_more
    return {"data": [render(x) for x in chunk],
            "next_cursor": encode_cursor(offset=offset + limit, limit=limit) if more else None}


def page_of_select(stmt: Select, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of a SELECT (which sets a stable order)."""
    offset, limit = page_window()
    rows = list(db.session.scalars(stmt.offset(offset).limit(limit + 1)))
    return page(rows, render, offset=offset, limit=limit, has_more=len(rows) > limit)


def page_of_list(items: Sequence[Any], render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    offset, limit = page_window()
    return page(items, render, offset=offset, limit=limit)


def _key_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _key_column_value(column: Any, value: Any) -> Any:
    """A value of the cursor's key read back for its column (datetimes travel as ISO text)."""
    python_type = getattr(column.type, "impl", column.type).python_type  # UTCDateTime: its DateTime
    if python_type is datetime:
        if not isinstance(value, str):
            raise TypeError(value)
        return datetime.fromisoformat(value)
    if python_type is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise TypeError(value)
    return value


def page_of_keyset(stmt: Select, order: Sequence[Any], render_all: Callable[[list[Any]], list[dict[str, Any]]]
                   ) -> dict[str, Any]:
    """One page of a SELECT in descending `order` (columns without NULLs, the last one unique, e.g. created_at, id),
    read after the key of the previous page's last item: items added or deleted meanwhile move no item across
    pages, so none is seen twice or skipped; no earlier row is read."""
    cursor = read_cursor()
    stmt = stmt.order_by(None).order_by(*(c.desc() for c in order))
    if cursor.key is not None:
        try:
            if len(cursor.key) != len(order):
                raise TypeError(cursor.key)
            values = [_key_column_value(c, v) for c, v in zip(order, cursor.key, strict=True)]
        except (TypeError, ValueError):
            raise _bad_cursor() from None
        after = []  # (a < x) OR (a = x AND b < y) OR ...
        for i, column in enumerate(order):
            after.append(and_(*(order[j] == values[j] for j in range(i)), column < values[i]))
        stmt = stmt.where(or_(*after))
    rows = list(db.session.scalars(stmt.limit(cursor.limit + 1)))
    chunk = rows[:cursor.limit]
    more = len(rows) > cursor.limit
    last = chunk[-1] if chunk else None
    key = [_key_value(getattr(last, c.key)) for c in order] if last is not None else None
    return {"data": render_all(chunk), "next_cursor": encode_cursor(key=key, limit=cursor.limit) if more else None}


def page_of_sorted(items: Sequence[Any], key_of: Callable[[Any], list[Any]],
                   rank: Callable[[list[Any]], Any], render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of a list already sorted by rank(key_of(item)) ascending, after the previous page's last key."""
    cursor = read_cursor()
    if cursor.key is not None:
        try:
            last = rank(cursor.key)
        except (TypeError, ValueError, IndexError):
            raise _bad_cursor() from None
        items = [item for item in items if rank(key_of(item)) > last]
    chunk = list(items[:cursor.limit])
    more = len(items) > cursor.limit
    return {"data": [render(x) for x in chunk],
            "next_cursor": encode_cursor(key=key_of(chunk[-1]), limit=cursor.limit) if more and chunk else None}


# Errors -------------------------------------------------------------------------------------------------------


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    response = jsonify({"error": {"code": e.code, "message": e.message}})
    response.status_code = e.status_code
    response.headers.update(e.headers)
    return response
