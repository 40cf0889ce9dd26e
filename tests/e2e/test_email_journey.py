"""In a real browser: a rep chooses which notifications come by email (in English and in Russian), and an admin
sends a test mail from the outbox page and sees it sent to a real SMTP server."""

from __future__ import annotations

import pytest

from enable.auth.models import Role, User
from enable.extensions import db
from tests.e2e import open_nav
from tests.factories import PASSWORD
from tests.notifications.conftest import free_port, parts, start_server

pytestmark = pytest.mark.browser


def _sign_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_rep_turns_mentions_off_and_content_reviews_to_at_once(live_server, page, users, shot):
    _sign_in(page, live_server, "rep@example.test")
    page.goto(f"{live_server}/auth/settings")
    page.click("text=Choose which notifications come by email")
    page.wait_for_url(f"{live_server}/notifications/settings")
    mention = page.locator("fieldset", has_text="Someone mentioned you")
    assert mention.get_by_label("At once").is_checked()
    mention.get_by_label("Off").check()
    page.locator("fieldset", has_text="Content you own is due for review").get_by_label("At once").check()
    shot(page, "email-settings")
    page.click("text=Save email settings")
    assert page.locator("text=Email settings saved.").is_visible()
    page.reload()
    assert page.locator("fieldset", has_text="Someone mentioned you").get_by_label("Off").is_checked()
    assert page.locator("fieldset", has_text="Content you own is due for review").get_by_label("At once").is_checked()


def test_the_same_in_russian(app, live_server, page, users):
    with app.app_context():
        db.session.get(User, users[Role.REP]).locale = "ru"
        db.session.commit()
    _sign_in(page, live_server, "rep@example.test")
    page.goto(f"{live_server}/notifications/settings")
    assert page.locator("h1").inner_text() == "Настройки почты"
    page.locator("fieldset", has_text="Кто-то упомянул вас").get_by_label("Не присылать").check()
    page.click("text=Сохранить настройки почты")
    assert page.locator("text=Настройки почты сохранены.").is_visible()
    assert page.locator("fieldset", has_text="Кто-то упомянул вас").get_by_label("Не присылать").is_checked()


def test_an_admin_sends_a_test_mail_and_sees_it_sent(app, live_server, page, users, shot):
    controller, inbox = start_server(free_port())
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=inbox.port, MAIL_SECURITY="none")
    try:
        _sign_in(page, live_server, "admin@example.test")
        open_nav(page, "Email outbox", menu="Administration")
        page.click("text=Send me a test email")
        assert page.locator("text=A test email to admin@example.test is queued").is_visible()
        page.reload()  # jobs run at once in tests; a real worker sends it moments later
        row = page.locator("tbody tr").first
        assert "admin@example.test" in row.inner_text() and "Sent" in row.inner_text()
        shot(page, "email-outbox")
    finally:
        controller.stop()
    assert len(inbox.mails) == 1 and "email delivery works" in parts(inbox.mails[0])[0]
