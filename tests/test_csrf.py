"""Every form is protected by a CSRF token."""

from __future__ import annotations

import re

import pytest

from enable import create_app
from enable.extensions import db
from tests.conftest import base_config
from tests.factories import PASSWORD, make_user


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(base_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        make_user(email="rep@example.test")
        db.session.commit()
    return app


def test_post_without_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_post_with_the_page_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
