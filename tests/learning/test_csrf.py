"""With CSRF protection on, the "read to the end" beacon and the quiz form carry the page's token."""

from __future__ import annotations

import re

import pytest

from enable import create_app
from enable.extensions import db
from tests.conftest import base_config
from tests.factories import PASSWORD, make_user
from tests.learning.factories import make_playbook, make_quiz


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(base_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        make_user(email="rep@example.test")
        playbook, quiz = make_playbook(title="Closing"), make_quiz(n_questions=1)
        db.session.commit()
        app.config["IDS"] = {"playbook": playbook.id, "quiz": quiz.id}
    return app


def _signed_in(app):
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD, "csrf_token": token})
    return client


def test_the_read_beacon_needs_the_token_from_the_page(csrf_app):
    client = _signed_in(csrf_app)
    url = f"/learning/read/{csrf_app.config['IDS']['playbook']}"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)[1]
    assert client.post(url).status_code == 400
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200


def test_the_quiz_form_carries_its_token(csrf_app):
    client = _signed_in(csrf_app)
    url = f"/learning/quizzes/{csrf_app.config['IDS']['quiz']}/take"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(url, data={}).status_code == 400
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and "/learning/attempts/" in response.headers["Location"]
