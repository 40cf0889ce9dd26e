"""Signing in and out, throttling, deactivated accounts, cookies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from enable.auth.models import LoginAddressWindow, Role, User
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


def test_failures_from_one_address_are_limited_across_accounts(app, users):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 4
    client = app.test_client()
    here, elsewhere = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    # right passwords do not count against the address; failures at any account (or none) do
    assert client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD},
                       environ_base=here).status_code == 302
    client.post("/auth/logout", environ_base=here)
    for email in ("nobody@example.test", "manager@example.test", "admin@example.test", "someone@example.test"):
        assert _login_from(client, email, "wrong-password", here).status_code == 401
    refused = _login_from(client, "enablement@example.test", PASSWORD, here)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your network" in refused.get_data(as_text=True)
    assert _login_from(client, "enablement@example.test", PASSWORD, elsewhere).status_code == 302
    # once the window has passed the address may try again
    with app.app_context():
        db.session.execute(update(LoginAddressWindow).values(window_started_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert _login_from(app.test_client(), "enablement@example.test", PASSWORD, here).status_code == 302


def _login_from(client, email, password, environ):
    return client.post("/auth/login", data={"email": email, "password": password}, environ_base=environ)
