"""Sessions and remember-me cookies end with the browser's sign-out, with "sign out everywhere" and with a new
password, copies of the cookies included; the remember cookie's flags and lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from enable.auth.models import Role
from tests.factories import PASSWORD


@pytest.fixture
def app_config(app_config):
    """Served over HTTPS, as in production (the test client still sends Secure cookies)."""
    app_config["SESSION_COOKIE_SECURE"] = True
    return app_config


def _sign_in(app, role: Role = Role.REP, remember: bool = False):
    client = app.test_client()
    data = {"email": f"{role.value}@example.test", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return client, response


def _copy(app, client, *names: str):
    """Another browser holding copies of the named cookies of `client` (a stolen or leaked cookie)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def _signed_in(client) -> bool:
    return client.get("/auth/settings").status_code == 200


def test_a_copied_session_cookie_stops_working_after_sign_out(app, users):
    client, _ = _sign_in(app)
    thief = _copy(app, client, "session")
    assert _signed_in(thief)
    assert client.post("/auth/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)


def test_signing_out_one_browser_leaves_the_others_signed_in(app, users):
    laptop, _ = _sign_in(app)
    phone, _ = _sign_in(app)
    laptop.post("/auth/logout")
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_every_session_and_remembered_browser(app, users):
    laptop, _ = _sign_in(app)
    phone, _ = _sign_in(app, remember=True)
    remembered = _copy(app, phone, "remember_token")
    assert _signed_in(remembered)
    assert "Sign out everywhere" in laptop.get("/auth/settings").get_data(as_text=True)
    response = laptop.post("/auth/logout-everywhere", follow_redirects=True)
    assert "You are signed out on every device" in response.get_data(as_text=True)
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(_copy(app, phone, "remember_token"))


def test_an_admin_password_reset_ends_old_sessions_and_remember_cookies(app, users):
    rep, _ = _sign_in(app, remember=True)
    session_copy = _copy(app, rep, "session")
    remember_copy = _copy(app, rep, "remember_token")
    assert _signed_in(session_copy) and _signed_in(remember_copy)
    admin, _ = _sign_in(app, Role.ADMIN)
    assert admin.post(f"/auth/users/{users[Role.REP]}/password",
                      data={"password": "a-brand-new-one"}).status_code == 302
    assert not _signed_in(rep)
    assert not _signed_in(session_copy)
    assert not _signed_in(remember_copy)
    assert not _signed_in(_copy(app, rep, "remember_token"))
    assert _signed_in(admin)  # the admin's own session is untouched
    assert app.test_client().post("/auth/login", data={"email": "rep@example.test",
                                                       "password": "a-brand-new-one"}).status_code == 302


def test_an_admin_resetting_their_own_password_stays_signed_in_here_only(app, users):
    here, _ = _sign_in(app, Role.ADMIN)
    there, _ = _sign_in(app, Role.ADMIN)
    assert here.post(f"/auth/users/{users[Role.ADMIN]}/password",
                     data={"password": "a-brand-new-one"}).status_code == 302
    assert _signed_in(here)
    assert not _signed_in(there)


def test_a_cookie_of_the_old_form_signs_nobody_in(app, users):
    """A session naming only the user id (before sessions had keys) is refused: everyone signs in again once."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(users[Role.REP])
        session["_fresh"] = True
    assert not _signed_in(client)


def test_the_remember_cookie_has_the_session_cookie_flags_and_lasts_remember_days(app, users):
    _client, response = _sign_in(app, remember=True)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "; Secure" in cookies[name] and "; HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
    expires = parsedate_to_datetime(cookies["remember_token"].split("Expires=", 1)[1].split(";")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
