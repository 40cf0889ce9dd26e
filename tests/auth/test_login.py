"""Signing in and out, throttling, deactivated accounts, cookies."""

from __future__ import annotations

from datetime import timedelta

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from tests.factories import PASSWORD


def _login(client, email, password, next_url=""):
    return client.post(f"/auth/login{next_url}", data={"email": email, "password": password})


def test_login_with_right_password_reaches_home(client, users):
    response = _login(client, "rep@example.test", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Welcome, Rep User" in home.get_data(as_text=True)


def test_email_is_case_insensitive(client, users):
    assert _login(client, "REP@Example.Test", PASSWORD).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, users):
    response = _login(client, "rep@example.test", "wrong-password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_message(client, users):
    response = _login(client, "nobody@example.test", PASSWORD)
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_repeated_failures_throttle_the_account_even_for_the_right_password(app, client, users):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "rep@example.test", "wrong-password")
    response = _login(client, "rep@example.test", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, users[Role.REP])
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _login(client, "rep@example.test", PASSWORD).status_code == 302


def test_deactivated_user_cannot_sign_in(app, client, users):
    with app.app_context():
        db.session.get(User, users[Role.REP]).is_active_account = False
        db.session.commit()
    assert _login(client, "rep@example.test", PASSWORD).status_code == 401


def test_deactivation_ends_an_open_session(app, login, users):
    client = login(Role.REP)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.get(User, users[Role.REP]).is_active_account = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_next_parameter_only_follows_local_paths(client, users):
    assert _login(client, "rep@example.test", PASSWORD, "?next=/auth/settings").headers["Location"] == "/auth/settings"
    client.post("/auth/logout")
    assert _login(client, "rep@example.test", PASSWORD, "?next=//evil.example/x").headers["Location"] == "/"


def test_logout_ends_the_session(login):
    client = login(Role.REP)
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, users):
    response = _login(client, "rep@example.test", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_stored_as_argon2_hashes(app, users):
    with app.app_context():
        assert db.session.get(User, users[Role.REP]).password_hash.startswith("$argon2id$")


def test_security_headers_on_every_page(client):
    response = client.get("/auth/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
