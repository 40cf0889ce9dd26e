"""The role-access matrix: every route, every role. A new route must join ACCESS below."""

from __future__ import annotations

import re

import pytest

from enable.auth.models import Role

PUBLIC = "public"
SIGNED_IN = Role.REP  # any signed-in user

# endpoint -> the least role that may use it (PUBLIC: no sign-in needed).
ACCESS: dict[str, Role | str] = {
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "main.language": PUBLIC,
    "auth.login": PUBLIC,
    "main.home": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.settings": SIGNED_IN,
    "taxonomy.index": SIGNED_IN,
    "auth.users": Role.ADMIN,
    "auth.user_new": Role.ADMIN,
    "auth.user_edit": Role.ADMIN,
    "auth.user_password": Role.ADMIN,
    "auth.teams": Role.ADMIN,
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # Unknown ids: allowed roles then get 404 (the object check comes after the role check).
        url = re.sub(r"<(?:int:)?[^>]+>", "999999", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_is_in_the_matrix(app):
    missing = sorted({endpoint for endpoint, _, _ in _routes(app)} - set(ACCESS))
    assert missing == [], f"add these endpoints to ACCESS with the least role that may use them: {missing}"


@pytest.mark.parametrize("role", [None, *Role])
def test_role_matrix(app, login, role):
    client = login(role) if role else app.test_client()
    checked = 0
    for endpoint, method, url in _routes(app):
        need = ACCESS[endpoint]
        if need == PUBLIC:
            continue
        allowed = role is not None and role.includes(need)
        if allowed and method != "GET":
            continue  # allowed writes are exercised by each capability's own tests
        response = client.open(url, method=method)
        where = f"{method} {url} as {role or 'anonymous'}"
        if role is None:
            if url.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 302, where
                assert "/auth/login" in response.headers["Location"], where
        elif not allowed:
            assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403), where
            assert not (response.status_code == 302 and "/auth/login" in response.headers.get("Location", "")), where
        checked += 1
    assert checked > 0
