"""The JSON API under /api/v1 (personal tokens only), its OpenAPI document, and the token and docs pages.

Two blueprints: `api` (/api/v1: token auth, no session, no CSRF) and `api_tokens` (the signed-in pages where
people create and revoke their tokens, /settings/api-tokens; the admin list, /admin/api-tokens; the API
documentation, /docs/api).
"""

from typing import cast

from flask import Blueprint, Flask

from enable.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group=None)
tokens_bp = Blueprint("api_tokens", __name__, template_folder="templates", cli_group=None)
csrf.exempt(bp)  # tokens in a header, never cookies: nothing for a forged cross-site request to ride on

from enable.api import core  # noqa: E402

bp.record_once(lambda state: core.init_rate_limit(cast(Flask, state.app)))

from enable.api import (  # noqa: E402,F401  (each module declares its operations on bp)
    calls,
    coaching,
    comments,
    content,
    deals,
    learning,
    library,
    openapi,
    reports,
    views,
)
