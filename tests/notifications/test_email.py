"""Notifications by email, through a real SMTP server started by each test: what arrives, in which language, when
nothing should, retries when the server is down, the daily digest, and a request that never waits for SMTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from sqlalchemy import select, update

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from enable.notifications import Notification, OutboxMail, delivery, jobs, notify, preferences
from enable.notifications.models import MailStatus
from tests.factories import make_user
from tests.notifications.conftest import LOGIN, SECRET, free_port, parts, start_server

SITE = "https://enable.example.test"


def _smtp(app, inbox, **more) -> None:
    port = inbox.port if inbox else more.pop("port")
    app.config.update({"MAIL_HOST": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none", "SITE_URL": SITE,
                       "MAIL_FROM": "Enable <enable@example.test>", **more})


def _person(locale: str | None = None, **fields) -> User:
    return make_user(locale=locale, **fields)


def _mails() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_a_mention_arrives_at_once_with_both_parts_in_the_users_language(app, smtp_server):
    _smtp(app, smtp_server)
    with app.app_context():
        anna = _person("en", name="Anna Smith", email="anna@example.test")
        boris = _person("ru", name="Борис", email="boris@example.test")
        notify(anna, "mention", "Carl mentioned you on “Discovery <call>” at 1:05", "/calls/7?t=65")
        notify(boris, "mention", "Carl mentioned you on “Discovery <call>” at 1:05", "/calls/7?t=65")
        db.session.commit()  # the mails go out after the commit (inline here: jobs run immediately in tests)
        assert [(m.recipient, m.status, m.attempts) for m in _mails()] == [
            ("anna@example.test", MailStatus.SENT, 1), ("boris@example.test", MailStatus.SENT, 1)]
        assert all(n.mail_id is not None for n in db.session.scalars(select(Notification)))

    assert [s["rcpt"] for s in smtp_server.sessions] == [["anna@example.test"], ["boris@example.test"]]
    english, russian = smtp_server.mails
    assert english["Subject"] == "Enable: Carl mentioned you on “Discovery <call>” at 1:05"
    assert english["From"] == "Enable <enable@example.test>"
    text, html = parts(english)
    assert "Hello Anna Smith," in text and f"{SITE}/calls/7?t=65" in text
    assert "Choose which emails you get: " + SITE + "/notifications/settings" in text
    assert "Discovery <call>" in text  # plain text is not escaped
    assert f'href="{SITE}/calls/7?t=65"' in html and "Open it in Enable" in html
    assert "Discovery &lt;call&gt;" in html and "<call>" not in html  # user text is escaped in HTML
    assert '<html lang="en">' in html

    text, html = parts(russian)
    assert "Здравствуйте, Борис!" in text and "Открыть в Enable:" in text and f"{SITE}/calls/7?t=65" in text
    assert "Открыть в Enable" in html and '<html lang="ru">' in html
    assert "Кто-то упомянул вас" in text  # the kind's label, translated


def test_starttls_with_a_login(app, tls_smtp_server, certificate):
    _smtp(app, tls_smtp_server, MAIL_SECURITY="starttls", MAIL_USERNAME=LOGIN, MAIL_PASSWORD=SECRET,
          MAIL_CA_FILE=str(certificate[0]))
    with app.app_context():
        notify(_person("en"), "mention", "You were mentioned", "/")
        db.session.commit()
        assert [m.status for m in _mails()] == [MailStatus.SENT]
    assert len(tls_smtp_server.mails) == 1
    assert tls_smtp_server.sessions[0]["tls"] is True and tls_smtp_server.sessions[0]["login"] == LOGIN.encode()


def test_implicit_tls(app, implicit_tls_smtp_server, certificate):
    _smtp(app, implicit_tls_smtp_server, MAIL_SECURITY="tls", MAIL_CA_FILE=str(certificate[0]))
    with app.app_context():
        notify(_person("en"), "mention", "You were mentioned", "/")
        db.session.commit()
        assert [(m.status, m.last_error) for m in _mails()] == [(MailStatus.SENT, None)]
    assert len(implicit_tls_smtp_server.mails) == 1 and implicit_tls_smtp_server.sessions[0]["tls"] is True


def test_an_untrusted_certificate_is_refused_and_recorded(app, tls_smtp_server):
    _smtp(app, tls_smtp_server, MAIL_SECURITY="starttls", MAIL_USERNAME=LOGIN, MAIL_PASSWORD=SECRET)
    with app.app_context():
        notify(_person("en"), "mention", "You were mentioned", "/")
        db.session.commit()
        mail = _mails()[0]
        assert mail.status == MailStatus.PENDING and mail.attempts == 1
        assert "CERTIFICATE_VERIFY_FAILED" in mail.last_error
    assert tls_smtp_server.mails == []


def test_a_server_down_is_retried_with_backoff_recorded_then_sent(app):
    port = free_port()  # nothing listens here yet
    _smtp(app, None, port=port, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_S=60.0)
    with app.app_context():
        notify(_person("en", email="rep@example.test"), "call_scored", "Your call was scored 4/5", "/calls/3")
        db.session.commit()  # first attempt: refused; the retry waits in the queue's schedule
        mail = _mails()[0]
        mail_id = mail.id
        assert (mail.status, mail.attempts, mail.sent_at) == (MailStatus.PENDING, 1, None)
        assert "ConnectionRefusedError" in mail.last_error
        assert timedelta(seconds=55) < mail.next_attempt_at - utcnow() <= timedelta(seconds=60)
        assert jobs.send_mail.call_local(mail_id) is None and _mails()[0].attempts == 1  # not due: not attempted

        controller, inbox = start_server(port)  # the server is back
        try:
            db.session.execute(update(OutboxMail).values(next_attempt_at=utcnow()))  # the pause has passed
            db.session.commit()
            jobs.send_mail.call_local(mail_id)  # as the worker runs the scheduled retry
        finally:
            controller.stop()
        db.session.expire_all()
        mail = db.session.get(OutboxMail, mail_id)
        assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.SENT, 2, None)
        assert mail.sent_at is not None
    assert len(inbox.mails) == 1 and inbox.mails[0]["To"] == "rep@example.test"


def test_attempts_run_out_the_admin_sees_why_and_can_try_again(app, login):
    port = free_port()
    _smtp(app, None, port=port, MAIL_MAX_ATTEMPTS=2, MAIL_RETRY_BASE_S=60.0)
    with app.app_context():
        notify(_person("en", email="rep2@example.test"), "mention", "Mentioned", "/")
        db.session.commit()
        mail_id = _mails()[0].id
        db.session.execute(update(OutboxMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        settings = delivery.settings_from(app.config)
        assert delivery.attempt_send(mail_id, settings, max_attempts=2, base_delay_s=60.0) is None  # given up
        db.session.expire_all()
        mail = db.session.get(OutboxMail, mail_id)
        assert (mail.status, mail.attempts) == (MailStatus.FAILED, 2)

    admin = login(Role.ADMIN)
    page = admin.get("/notifications/outbox?status=failed").get_data(as_text=True)
    assert "rep2@example.test" in page and "ConnectionRefusedError" in page and "Try again" in page
    assert admin.get("/notifications/outbox?status=nonsense").status_code == 400
    controller, inbox = start_server(port)
    try:
        assert admin.post(f"/notifications/outbox/{mail_id}/retry").status_code == 302
    finally:
        controller.stop()
    with app.app_context():
        mail = db.session.get(OutboxMail, mail_id)
        assert (mail.status, mail.attempts) == (MailStatus.SENT, 3)
    assert len(inbox.mails) == 1


def test_off_sends_nothing_but_the_bell_still_shows_it(app, smtp_server, login, users):
    _smtp(app, smtp_server)
    rep = login(Role.REP)
    page = rep.get("/notifications/settings").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="mode_mention"[^>]*value="instant"', page)
    response = rep.post("/notifications/settings", data={"mode_mention": "off", "mode_stale": "instant"})
    assert response.status_code == 302
    with app.app_context():
        assert preferences.modes_of(users[Role.REP])["mention"] == "off"
        assert preferences.modes_of(users[Role.REP])["stale"] == "instant"
        assert preferences.modes_of(users[Role.REP])["step_due"] == "digest"  # not sent: left at its default
        notify(users[Role.REP], "mention", "You were mentioned", "/")
        db.session.commit()
        assert _mails() == []
        assert delivery.make_digests(utcnow().replace(hour=23), hour=7) == 0  # nor in the digest
    assert smtp_server.mails == []
    assert "You were mentioned" in rep.get("/notifications/").get_data(as_text=True)


def test_a_bad_choice_is_refused_and_nothing_changes(app, login, users):
    rep = login(Role.REP)
    response = rep.post("/notifications/settings", data={"mode_mention": "hourly"})
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert preferences.modes_of(users[Role.REP])["mention"] == "instant"


def test_the_daily_digest_groups_the_days_notifications_once(app, smtp_server):
    _smtp(app, smtp_server)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with app.app_context():
        rep = _person("en", name="Rita", email="rita@example.test")
        other = _person("ru", name="Олег", email="oleg@example.test")
        notify(rep, "stale", "“Pricing” is due for review", "/playbooks/1", now=now - timedelta(hours=5))
        notify(rep, "step_due", "“Listen to the demo” is due on December 8", "/learning/assignments/1",
               now=now - timedelta(hours=4))
        notify(rep, "some_new_kind", "Something a newer feature says", "/", now=now - timedelta(hours=3))
        notify(rep, "step_overdue", "“Quiz” was due on December 5", "/learning/assignments/1",
               now=now - timedelta(hours=2))
        notify(rep, "mention", "Carl mentioned you", "/calls/1", now=now - timedelta(hours=1))  # at once instead
        read = notify(rep, "stale", "“Old one” is due for review", "/playbooks/2", now=now - timedelta(hours=1))
        read.read_at = now  # already seen behind the bell: not listed again
        notify(other, "link_broken", "Ссылка сломана", "/playbooks/3", now=now - timedelta(hours=1))
        db.session.commit()
        assert len(smtp_server.mails) == 1  # the mention

        assert delivery.make_digests(now.replace(hour=6), hour=7) == 0  # before the digest hour
        assert delivery.make_digests(now, hour=7) == 2
        db.session.commit()
        notify(rep, "stale", "“Late” is due for review", "/playbooks/4", now=now + timedelta(minutes=5))
        db.session.commit()
        assert delivery.make_digests(now + timedelta(hours=1), hour=7) == 0  # one digest a day
        late = db.session.scalars(select(Notification).where(Notification.message.like("%Late%"))).one()
        assert late.mail_id is None  # waits for tomorrow's
        assert delivery.make_digests(now + timedelta(days=1), hour=7) == 1
        db.session.commit()

    digest = smtp_server.mails[1]
    assert digest["To"] == "rita@example.test"
    assert digest["Subject"] == "Enable: your daily summary, 4 notifications"
    text, html = parts(digest)
    order = [text.index(label) for label in ("A learning step is due soon", "A learning step is overdue",
                                             "Content you own is due for review", "Other notifications")]
    assert order == sorted(order)  # grouped by kind, in the registry's order
    assert "Carl mentioned you" not in text and "Old one" not in text
    assert f"{SITE}/learning/assignments/1" in text and f'href="{SITE}/playbooks/1"' in html
    russian = smtp_server.mails[2]
    assert russian["Subject"] == "Enable: ваша сводка за день, 1 уведомление"
    assert "Ссылка сломана" in parts(russian)[0] and "Здравствуйте, Олег!" in parts(russian)[0]
    assert "Late" in parts(smtp_server.mails[3])[0]


def test_a_request_returns_before_any_smtp_contact(app_config, smtp_server, tmp_path):
    from enable.queue import huey
    from tests.conftest import made_app
    from tests.factories import PASSWORD

    app_config.update(JOBS_IMMEDIATE=False, QUEUE_PATH=tmp_path / "queue.db")
    with made_app(app_config) as app:
        _smtp(app, smtp_server)
        with app.app_context():
            make_user(role=Role.ADMIN, email="admin@example.test")
            db.session.commit()
        client = app.test_client()
        client.post("/auth/login", data={"email": "admin@example.test", "password": PASSWORD})
        response = client.post("/notifications/outbox/test")
        assert response.status_code == 302
        assert smtp_server.mails == [] and smtp_server.sessions == []  # the request never talked to SMTP
        with app.app_context():
            assert [(m.kind, m.status, m.attempts) for m in _mails()] == [("test", MailStatus.PENDING, 0)]
            task = huey.dequeue()  # what the worker does next
            assert task is not None
            huey.execute(task)
            assert [(m.status, m.attempts) for m in _mails()] == [(MailStatus.SENT, 1)]
        assert len(smtp_server.mails) == 1
        assert "email delivery works" in parts(smtp_server.mails[0])[0]
        huey.storage.flush_all()


def test_without_a_mail_server_mails_go_to_a_folder(app):
    app.config.update(MAIL_HOST=None, MAIL_BACKEND="")
    with app.app_context():
        notify(_person("ru", email="vera@example.test"), "certification_expired", "Сертификат истёк", "/learning/")
        db.session.commit()
        assert [m.status for m in _mails()] == [MailStatus.SENT]
    files = list(app.config["MAIL_DIR"].glob("*.eml"))
    assert len(files) == 1
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert mail["To"] == "vera@example.test" and "Сертификат истёк" in parts(mail)[0]


def test_a_rolled_back_change_mails_nothing_and_inactive_accounts_get_none(app, smtp_server):
    _smtp(app, smtp_server)
    with app.app_context():
        gone = _person("en", is_active_account=False)
        notify(gone, "mention", "To a closed account", "/")
        db.session.commit()
        notify(_person("en"), "mention", "Rolled back", "/")
        db.session.rollback()
        assert _mails() == []
    assert smtp_server.mails == []


def test_a_keyed_notice_is_told_once(app):
    with app.app_context():
        user = _person("en")
        assert notify(user, "step_due", "Due soon", "/", key="step_due:1:2") is not None
        assert notify(user, "step_due", "Due soon", "/", key="step_due:1:2") is None
        db.session.commit()
        assert db.session.scalar(select(Notification.id).where(Notification.key == "step_due:1:2")) is not None
        assert len(list(db.session.scalars(select(Notification)))) == 1


def test_old_sent_mails_are_pruned_and_failed_ones_kept(app):
    with app.app_context():
        user = _person("en")
        now = utcnow()

        def mail(status, sent_days_ago=None):
            return OutboxMail(user_id=user.id, recipient=user.email, kind="mention", subject="s", body_text="t",
                              body_html="h", status=status, attempts=1,
                              sent_at=now - timedelta(days=sent_days_ago) if sent_days_ago is not None else None)

        db.session.add_all([mail(MailStatus.SENT, 91), mail(MailStatus.SENT, 1), mail(MailStatus.FAILED)])
        db.session.commit()
        assert delivery.prune_sent(now) == 1
        db.session.commit()
        assert sorted(m.status for m in _mails()) == [MailStatus.FAILED, MailStatus.SENT]


def test_links_in_mails_never_come_from_the_request_s_host(app):
    """A mail is written in the request of whoever causes it: their Host header must not choose its links."""
    with app.test_request_context("/", base_url="http://evil.example"):
        assert delivery.absolute("/coaching/scores/1") == "http://localhost/coaching/scores/1"
    app.config["SITE_URL"] = "https://enable.example.com/"
    with app.test_request_context("/", base_url="http://evil.example"):
        assert delivery.absolute("/calls/2") == "https://enable.example.com/calls/2"
