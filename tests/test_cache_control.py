"""What a signed-in user is sent stays out of shared caches and the browser's store; static files stay cacheable."""

from __future__ import annotations

import pytest

from enable.auth.models import Role

PERSONAL = "private, no-store"


def _pages(app) -> list[str]:
    """Every page of the site reached by GET without a value in its address (the API has its own rule)."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
                  and not rule.rule.startswith("/api/"))


@pytest.mark.parametrize("role", [Role.REP, Role.ADMIN])
def test_every_page_sent_to_a_signed_in_user_is_private_and_not_stored(app, login, role):
    client = login(role)
    pages = _pages(app)
    assert len(pages) > 40
    for page in pages:
        response = client.get(page)
        assert response.headers.get("Cache-Control") == PERSONAL, (page, response.status_code)


def test_error_pages_and_downloads_of_a_signed_in_user_are_private_too(app, login):
    client = login(Role.ENABLEMENT)
    for page in ("/bites/999999", "/links/report.csv", "/reports/usage?format=csv", "/reports/"):
        assert client.get(page).headers.get("Cache-Control") == PERSONAL, page


def test_static_files_and_anonymous_pages_keep_their_caching(app, client):
    css = client.get("/static/css/enable.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert "private" not in client.get("/auth/login").headers.get("Cache-Control", "")
