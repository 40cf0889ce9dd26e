"""The OpenAPI 3.1 document, built from the operations the routes are declared with (so both always agree)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from enable.api.coaching import SCORE, SCORECARD
from enable.api.comments import COMMENT
from enable.api.core import MAX_ID, MAX_LIMIT, OPERATIONS, Operation, Reply, ok, operation, reply
from enable.api.schemas import (
    ASSET,
    BITE,
    CALL,
    ERROR,
    PLAYBOOK,
    PLAYBOOK_SUMMARY,
    PLAYLIST,
    error_reply,
)
from enable.reasons import N_

TITLE = "Enable API"
VERSION = "1.0.0"
DESCRIPTION = N_("""\
The JSON API of this Enable site. Authenticate with a personal API token (create one under your settings,
"API tokens") sent as `Authorization: Bearer <token>`; a session cookie does not authenticate API requests.
A token acts with its owner's role, as on the site; a `read` token may only use GET.

Lists take `limit` (1 to {max_limit}) and `cursor` (the `next_cursor` of the previous page; null on the last).
Errors are `{{"error": {{"code": "...", "message": "..."}}}}` with codes such as `invalid`, `unauthorized`,
`forbidden`, `not_found`, `rate_limited`. Each token may make {rate} requests; past that the answer is 429 with
`Retry-After` (seconds).
""")

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SCHEMAS = {"Error": ERROR, "Call": CALL, "Bite": BITE, "Playlist": PLAYLIST, "Playbook": PLAYBOOK,
           "PlaybookSummary": PLAYBOOK_SUMMARY, "Asset": ASSET,
           "Scorecard": SCORECARD, "Score": SCORE, "Comment": COMMENT}
RETRY_AFTER = {"Retry-After": {"description": N_("Seconds to wait before the next request."),
                               "schema": {"type": "integer", "minimum": 1}}}


def _errors(op: Operation) -> dict[int, Reply]:
    found = {400: error_reply(N_("The request does not fit this document: a parameter or the body is of the wrong "
                                 "type, out of its range or too long.")),
             404: error_reply(N_("No such item, or it is not visible to you."))}
    if op.role is not None:
        found[401] = error_reply(N_("No token, or an unknown or revoked one, or its account is deactivated."))
        found[403] = error_reply(N_("The token's scope or its owner's role does not allow this."))
        found[429] = error_reply(N_("Too many requests with this token."), RETRY_AFTER)
    found[422] = error_reply(N_("The request fits this document but cannot be served as asked (the message says why): "
                                "a change that cannot be made, a cursor no list gave out, an unknown taxonomy key."))
    return found


def _reply(r: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"description": r.description}
    if r.content:
        out["content"] = {media: {"schema": schema} for media, schema in r.content.items()}
    if r.headers:
        out["headers"] = r.headers
    return out


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": op.path_schemas.get(name, ID)}
        for name in op.path_params]
    for p in op.params:
        entry: dict[str, Any] = {"name": p.name, "in": "query", "required": p.required, "schema": p.schema}
        if p.description:
            entry["description"] = p.description
        if p.schema.get("type") == "array":
            entry.update(style="form", explode=True)
        params.append(entry)
    return params


def _operation(op: Operation) -> dict[str, Any]:
    entry: dict[str, Any] = {"operationId": op.endpoint.split(".", 1)[1], "summary": op.summary, "tags": [op.tag]}
    if op.description:
        entry["description"] = op.description
    if op.role is None:
        entry["security"] = []
    else:
        entry["x-min-role"] = op.role.value
        entry["x-token-scope"] = "read-write" if op.write else "read"
    params = _parameters(op)
    if params:
        entry["parameters"] = params
    if op.body is not None:
        media: dict[str, Any] = {"schema": op.body.schema}
        if op.body.encoding:
            media["encoding"] = op.body.encoding
        entry["requestBody"] = {"required": True, "content": {op.body.media: media}}
    replies = {**_errors(op), **op.replies}
    entry["responses"] = {str(code): _reply(r) for code, r in sorted(replies.items())}
    return entry


def introduction(text: str) -> str:
    """The document's description (DESCRIPTION, or its translation) with this site's list and rate limits."""
    return text.format(max_limit=MAX_LIMIT, rate=current_app.config["API_RATE_LIMIT"])


def document() -> dict[str, Any]:
    """The OpenAPI document of every operation declared on the API blueprint."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    tags = list(dict.fromkeys(op.tag for op in OPERATIONS))
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "license": {"name": "MIT", "identifier": "MIT"},
                 "description": introduction(DESCRIPTION)},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": t} for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                          "description": N_("A personal API token.")}}},
        "security": [{"bearerAuth": []}],
    }


@operation("GET", "/openapi.json", role=None, tag=N_("Documentation"), summary=N_("This OpenAPI document"),
           replies={200: ok({"type": "object", "required": ["openapi", "paths"]}, N_("The OpenAPI 3.1 document."))},
           description=N_("Public: it describes the API, not any data."))
def openapi_json():
    response, status = reply(document())
    response.headers["Cache-Control"] = "no-cache"
    return response, status
