"""The admin pages: create, edit, deactivate users and reset passwords; teams with managers."""

from __future__ import annotations

from sqlalchemy import select

from enable.audit import AuditEvent
from enable.auth.models import Role, Team, User
from enable.extensions import db


def _user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_admin_creates_a_user_who_can_then_sign_in(app, login):
    admin = login(Role.ADMIN)
    response = admin.post("/auth/users/new", data={"name": "Nina New", "email": "nina@example.test", "role": "rep",
                                                   "team": "", "new_team": "East", "locale": "ru",
                                                   "password": "longenough1", "hired_on": "2026-11-01"})
    assert response.status_code == 302
    page = admin.get("/auth/users").get_data(as_text=True)
    assert "Nina New" in page and "East" in page
    nina = app.test_client()
    assert nina.post("/auth/login", data={"email": "nina@example.test", "password": "longenough1"}).status_code == 302
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.create" in events


def test_duplicate_email_is_refused_with_a_message(login):
    admin = login(Role.ADMIN)
    response = admin.post("/auth/users/new", data={"name": "Again", "email": "rep@example.test", "role": "rep",
                                                   "password": "longenough1", "locale": ""})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_short_password_is_refused(login):
    admin = login(Role.ADMIN)
    response = admin.post("/auth/users/new", data={"name": "Short", "email": "s@example.test", "role": "rep",
                                                   "password": "abc", "locale": ""})
    assert response.status_code == 200
    assert "at least 8" in response.get_data(as_text=True)


def test_admin_edits_role_and_deactivates(app, login, users):
    admin = login(Role.ADMIN)
    response = admin.post(f"/auth/users/{users[Role.REP]}", data={
        "name": "Rep Renamed", "email": "rep@example.test", "role": "manager", "team": "", "locale": ""})
    assert response.status_code == 302
    user = _user(app, "rep@example.test")
    assert user.name == "Rep Renamed" and user.role == Role.MANAGER and not user.is_active_account


def test_admin_cannot_demote_themselves(login, users):
    admin = login(Role.ADMIN)
    response = admin.post(f"/auth/users/{users[Role.ADMIN]}", data={
        "name": "Admin", "email": "admin@example.test", "role": "rep", "is_active": "y", "locale": ""})
    assert response.status_code == 422
    assert "cannot change your own role" in response.get_data(as_text=True)


def test_password_reset_lets_the_user_in_with_the_new_password(app, login, users):
    admin = login(Role.ADMIN)
    response = admin.post(f"/auth/users/{users[Role.REP]}/password", data={"password": "brand-new-pass"})
    assert response.status_code == 302
    client = app.test_client()
    login = client.post("/auth/login", data={"email": "rep@example.test", "password": "brand-new-pass"})
    assert login.status_code == 302


def test_team_gets_a_manager_and_names_stay_unique(app, login, users):
    admin = login(Role.ADMIN)
    assert admin.post("/auth/teams", data={"name": "West", "manager": str(users[Role.MANAGER])}).status_code == 302
    assert admin.post("/auth/teams", data={"name": "West", "manager": ""}).status_code == 422
    response = admin.post("/auth/teams", data={"name": "North", "manager": str(users[Role.REP])})
    assert response.status_code == 422 and "not a manager" in response.get_data(as_text=True)
    with app.app_context():
        west = db.session.scalar(select(Team).where(Team.name == "West"))
        assert west.manager.email == "manager@example.test"


def test_user_text_is_escaped(login):
    admin = login(Role.ADMIN)
    admin.post("/auth/users/new", data={"name": "<script>alert(1)</script>", "email": "x@example.test",
                                        "role": "rep", "password": "longenough1", "locale": ""})
    page = admin.get("/auth/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_cli_creates_a_user(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "cli@example.test", "--name", "Cli", "--role",
                                 "manager", "--password", "longenough1", "--team", "Ops", "--hired", "2026-01-15"])
    assert result.exit_code == 0, result.output
    user = _user(app, "cli@example.test")
    assert user.role == Role.MANAGER and str(user.hired_on) == "2026-01-15"
    again = runner.invoke(args=["users", "create", "--email", "cli@example.test", "--name", "Cli",
                                "--password", "longenough1"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad_date = runner.invoke(args=["users", "create", "--email", "d@example.test", "--name", "D",
                                   "--password", "longenough1", "--hired", "15.01.2026"])
    assert bad_date.exit_code != 0 and "YYYY-MM-DD" in bad_date.output
