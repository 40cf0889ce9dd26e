"""What was stored or built in one language reads in the reader's (issue 23): audit actions, webhook events, the
names of languages, link-check details."""

from __future__ import annotations

from enable import audit
from enable.auth.models import Role, User
from enable.extensions import db


def _russian(login, role):
    client = login(role)
    client.post("/auth/settings", data={"locale": "ru"})
    return client


def test_audit_actions_read_as_words_in_the_readers_language(app, login, users):
    with app.app_context():
        audit.record(db.session.get(User, users[Role.ADMIN]), "user.create", detail={"email": "x@example.test"})
        audit.record(None, "some.future_action")
        db.session.commit()
    page = _russian(login, Role.ADMIN).get("/auth/audit").get_data(as_text=True)
    assert "Пользователь создан" in page and "<code>user.create</code>" in page
    assert "some.future_action" in page  # an action without a label shows its code
    english = login(Role.ADMIN)
    english.post("/auth/settings", data={"locale": "en"})
    assert "User created" in english.get("/auth/audit").get_data(as_text=True)


def test_webhook_events_are_described_in_the_readers_language(login, users):
    page = _russian(login, Role.ADMIN).get("/webhooks/").get_data(as_text=True)
    assert "call.failed: Звонок не удалось обработать" in page


def test_language_names_read_in_the_readers_language_with_their_own_names(login, users):
    russian = _russian(login, Role.REP).get("/auth/settings").get_data(as_text=True)
    assert ">Английский (English)</option>" in russian and ">Русский</option>" in russian
    english = login(Role.MANAGER).get("/auth/settings").get_data(as_text=True)
    assert ">English</option>" in english and ">Russian (Русский)</option>" in english
