"""Personal API tokens: the pages, how they are stored, what authenticates, scopes, revocation and the rate limit."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from enable import create_app
from enable.api.tokens import ApiToken, TokenScope, create_token
from enable.auth.models import Role, User
from enable.extensions import db
from tests.conftest import base_config


def _new_token(login, role: Role, scope: str = "read", name: str = "CRM sidebar") -> str:
    """Create a token through the settings page; return the secret the page shows once."""
    client = login(role)
    page = client.post("/settings/api-tokens", data={"name": name, "scope": scope})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    match = re.search(r'id="new-token"[^>]*>(enb_[A-Za-z0-9_-]+)<', page.get_data(as_text=True))
    assert match, "the new token is shown on the page"
    return match.group(1)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_settings_page_links_to_the_token_page(login):
    page = login(Role.REP).get("/auth/settings").get_data(as_text=True)
    assert 'href="/settings/api-tokens"' in page


def test_token_is_shown_once_stored_hashed_and_works(app, login, users):
    secret = _new_token(login, Role.REP, "read")
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (token.prefix, token.token_hash) and secret.startswith(token.prefix)
        assert token.scope == TokenScope.READ and token.name == "CRM sidebar" and token.last_used_at is None
    listing = login(Role.REP).get("/settings/api-tokens").get_data(as_text=True)
    assert secret not in listing and f"{secret[:12]}…" in listing  # only the prefix, ever again
    assert 'href="/docs/api"' in listing

    response = app.test_client().get("/api/v1/playbooks", headers=_bearer(secret))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store" and "Authorization" in response.headers["Vary"]
    with app.app_context():
        assert db.session.scalar(select(ApiToken)).last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer enb_unknown-token", "Basic dXNlcjpwYXNz", "Token x"])
def test_missing_or_unknown_tokens_get_401(client, users, header):
    response = client.get("/api/v1/playbooks", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_does_not_authenticate_the_api(login):
    client = login(Role.ADMIN)
    assert client.get("/playbooks/").status_code == 200  # signed in on the site
    assert client.get("/api/v1/playbooks").status_code == 401
    assert client.post("/api/v1/playlists", json={"name": "x"}).status_code == 401


def test_read_token_is_refused_writes_and_read_write_may(app, login):
    read = _new_token(login, Role.REP, "read")
    write = _new_token(login, Role.REP, "read-write", name="writer")
    client = app.test_client()
    refused = client.post("/api/v1/playlists", json={"name": "Mine"}, headers=_bearer(read))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post("/api/v1/playlists", json={"name": "Mine"}, headers=_bearer(write)).status_code == 201


def test_api_writes_need_no_csrf_token_even_with_csrf_on(tmp_path):
    app = create_app(base_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        from tests.factories import make_user

        user = make_user(role=Role.REP)
        _token, secret = create_token(user, name=None, scope=TokenScope.READ_WRITE)
        db.session.commit()
    response = app.test_client().post("/api/v1/playlists", json={"name": "No CSRF"}, headers=_bearer(secret))
    assert response.status_code == 201
    assert app.test_client().post("/settings/api-tokens", data={"scope": "read"}).status_code == 400  # pages keep it


def test_owner_revokes_a_token_and_it_stops_working(app, login):
    secret = _new_token(login, Role.REP)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client = app.test_client()
    assert client.get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 200
    assert login(Role.MANAGER).post(f"/settings/api-tokens/{token_id}/revoke").status_code == 404  # not theirs
    assert client.get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 200
    assert login(Role.REP).post(f"/settings/api-tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 401
    assert "Revoked" in login(Role.REP).get("/settings/api-tokens").get_data(as_text=True)


def test_admin_sees_and_revokes_any_token(app, login):
    secret = _new_token(login, Role.MANAGER, name="dialer")
    admin = login(Role.ADMIN)
    page = admin.get("/admin/api-tokens").get_data(as_text=True)
    assert "dialer" in page and "manager@example.test" in page and secret not in page
    assert login(Role.ENABLEMENT).get("/admin/api-tokens").status_code == 403
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = admin.post(f"/settings/api-tokens/{token_id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/api-tokens")
    assert app.test_client().get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 401


def test_tokens_of_a_deactivated_user_stop_working(app, login, users):
    secret = _new_token(login, Role.MANAGER)
    client = app.test_client()
    assert client.get("/api/v1/calls", headers=_bearer(secret)).status_code == 200
    with app.app_context():
        db.session.get(User, users[Role.MANAGER]).is_active_account = False
        db.session.commit()
    assert client.get("/api/v1/calls", headers=_bearer(secret)).status_code == 401


def test_the_token_acts_with_its_owner_role(app, login):
    rep = _new_token(login, Role.REP, "read-write")
    response = app.test_client().delete("/api/v1/calls/1", headers=_bearer(rep))  # managers delete calls
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


@pytest.fixture
def limited_config(app_config):
    app_config["API_RATE_LIMIT"] = "3/minute"
    return app_config


def test_rate_limit_answers_429_with_retry_after_per_token(limited_config, app, login):
    first = _new_token(login, Role.REP, name="one")
    second = _new_token(login, Role.REP, name="two")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/playbooks", headers=_bearer(first)).status_code == 200
    limited = client.get("/api/v1/playbooks", headers=_bearer(first))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/playbooks", headers=_bearer(second)).status_code == 200  # counted per token


@pytest.mark.redis
def test_rate_limit_is_shared_by_web_workers_through_redis(tmp_path, redis_url):
    config = base_config(tmp_path, API_RATE_LIMIT="2/minute", API_RATE_LIMIT_STORAGE=redis_url)
    worker_a = create_app(config)
    worker_b = create_app(config)  # a second web worker: its own process memory, the same Redis
    with worker_a.app_context():
        db.create_all()
        from tests.factories import make_user

        _token, secret = create_token(make_user(role=Role.REP), name=None, scope=TokenScope.READ)
        db.session.commit()
    assert worker_a.test_client().get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 200
    assert worker_b.test_client().get("/api/v1/playbooks", headers=_bearer(secret)).status_code == 200
    limited = worker_a.test_client().get("/api/v1/playbooks", headers=_bearer(secret))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


@pytest.mark.redis
def test_rate_limit_counts_in_redis_when_the_queue_is_redis(tmp_path, redis_url):
    app = create_app(base_config(tmp_path, QUEUE_URL=redis_url))
    limiter, _limit = app.extensions["enable_api_rate"]
    assert type(limiter.storage).__name__ == "RedisStorage"
    alone = create_app(base_config(tmp_path / "alone"))
    assert type(alone.extensions["enable_api_rate"][0].storage).__name__ == "MemoryStorage"
