"""Email delivery of notifications: the outbox, mails rendered in each user's language, digests, one attempt.

A mail is rendered (plain text and HTML, links absolute with SITE_URL) when it is queued, in the caller's session;
its job is queued when that session commits (enable.notifications.jobs). Each attempt claims the mail first (an
UPDATE), so a retry and the sweep never send it twice at once, and talks to the mail server outside any
transaction. A failed attempt is retried after MAIL_RETRY_BASE_S, then 4x longer each time, up to
MAIL_MAX_ATTEMPTS; every attempt's error is kept on the row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.orm import Session

from enable.auth.models import User
from enable.db import utcnow
from enable.extensions import db
from enable.notifications import mailer
from enable.notifications.kinds import KINDS, OTHER, DeliveryMode, kind_of, label_of
from enable.notifications.models import MailStatus, Notification, OutboxMail
from enable.notifications.preferences import mode_in, modes_by_user

log = logging.getLogger(__name__)

PENDING_KEY = "enable.notifications.pending_mails"  # mails added in this session, queued when it commits
SUBJECT_CHARS = 150
ERROR_CHARS = 500
CLAIM_SLACK_S = 2.0  # a scheduled retry may run this early and still claim its mail
KEEP_SENT = timedelta(days=90)  # sent mails are kept this long in the outbox, then deleted (failed ones stay)
DIGEST_LOOKBACK = timedelta(days=2)  # a digest lists notifications this recent at most (no backlog of old ones)
TEST_KIND = "test"
DIGEST_KIND = "digest"


# Language and addresses -----------------------------------------------------------------------------------------------

def user_locale(user: User) -> str:
    """The language the user reads: their setting when the site offers it, else the default."""
    languages = current_app.config["LANGUAGES"]
    if user.locale and user.locale in languages:
        return user.locale
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@contextmanager
def in_locale_of(user: User) -> Iterator[None]:
    """Translate in the user's language inside the block (for a notification's message written for them)."""
    with force_locale(user_locale(user)):
        yield


def can_receive(user: User) -> bool:
    """True for an active account with an address."""
    return bool(user.is_active_account and user.email and "@" in user.email)


def site_url() -> str:
    """The site's external address without a trailing slash: SITE_URL, else http://localhost.

    Never the request's own address: a mail is written in the request of whoever causes it (a mention, a score), so
    its Host header (anyone's to set) would choose the links in another person's mail."""
    configured = (current_app.config.get("SITE_URL") or "").strip().rstrip("/")
    return configured or "http://localhost"


def absolute(path: str | None) -> str:
    """A site path as an absolute URL (the home page for None)."""
    return site_url() + (path if path and path.startswith("/") else "/")


def _path(endpoint: str, **values: Any) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


# Rendering ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One notification as a mail lists it."""

    message: str
    url: str
    when: str


def _render(template: str, **context: Any) -> str:
    # The app's environment (gettext installed, autoescape for .html) without the request's context processors.
    return current_app.jinja_env.get_template(f"notifications/mail/{template}").render(**context)


def _item(note: Notification) -> Item:
    return Item(note.message, absolute(note.link), format_datetime(note.created_at or utcnow(), "short"))


def _frame(user: User) -> dict[str, Any]:
    return {"name": user.name, "lang": user_locale(user), "settings_url": absolute(_path("notifications.settings")),
            "home_url": absolute("/")}


def _subject(text: str) -> str:
    line = " ".join(text.split())
    return "Enable: " + (line if len(line) <= SUBJECT_CHARS else line[:SUBJECT_CHARS - 1] + "…")


def render_notice(user: User, note: Notification) -> mailer.Mail:
    """The mail of one notification, in the user's language."""
    with in_locale_of(user):
        context = {**_frame(user), "item": _item(note), "kind_label": label_of(note.kind)}
        return mailer.Mail(user.email, _subject(note.message), _render("notice.txt", **context),
                           _render("notice.html", **context))


def group_by_kind(notes: list[Notification]) -> list[tuple[str, list[Notification]]]:
    """Notifications grouped under their kind's label, kinds in the registry's order (unknown ones as other)."""
    order = {k.name: i for i, k in enumerate(KINDS)}
    groups: dict[str, list[Notification]] = {}
    for note in sorted(notes, key=lambda n: (n.created_at, n.id)):
        groups.setdefault(kind_of(note.kind).name, []).append(note)
    return [(label_of(name), groups[name]) for name in sorted(groups, key=lambda n: order.get(n, order[OTHER]))]


def render_digest(user: User, notes: list[Notification]) -> mailer.Mail:
    """The day's summary mail: the notifications grouped by kind, in the user's language."""
    with in_locale_of(user):
        groups = [(label, [_item(n) for n in items]) for label, items in group_by_kind(notes)]
        subject = ngettext("Enable: your daily summary, %(num)d notification",
                           "Enable: your daily summary, %(num)d notifications", len(notes))
        context = {**_frame(user), "groups": groups, "count": len(notes)}
        return mailer.Mail(user.email, subject, _render("digest.txt", **context), _render("digest.html", **context))


def render_test(user: User) -> mailer.Mail:
    """A mail that only checks the mail settings."""
    with in_locale_of(user):
        message = _("This is a test email from Enable: email delivery works.")
        context = {**_frame(user), "item": Item(message, absolute("/"), format_datetime(utcnow(), "short")),
                   "kind_label": _("Test email")}
        return mailer.Mail(user.email, _subject(message), _render("notice.txt", **context),
                           _render("notice.html", **context))


# The outbox -----------------------------------------------------------------------------------------------------------

def _queue(user: User, kind: str, mail: mailer.Mail, key: str | None = None) -> OutboxMail:
    row = OutboxMail(user_id=user.id, recipient=mail.to, kind=kind[:40], key=key, subject=mail.subject[:300],
                     body_text=mail.text, body_html=mail.html, status=MailStatus.PENDING, attempts=0,
                     next_attempt_at=utcnow())
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(PENDING_KEY, []).append(row)
    return row


def queue_notice(user: User, note: Notification) -> OutboxMail:
    """Add the mail of one notification to the outbox (sent after the caller commits)."""
    return _queue(user, note.kind, render_notice(user, note))


def queue_test(user: User) -> OutboxMail:
    """Add a test mail to the user to the outbox (sent after the caller commits)."""
    return _queue(user, TEST_KIND, render_test(user))


def digest_key(user_id: int, now: datetime) -> str:
    return f"digest:{user_id}:{now.date().isoformat()}"


def make_digests(now: datetime, hour: int) -> int:
    """From `hour` (UTC) on, one digest mail per user per day listing their unread notifications of digest kinds
    not mailed yet (at most DIGEST_LOOKBACK old); return how many digests were queued. Run again the same day, it
    adds none: a notification arriving after today's digest waits for tomorrow's."""
    if now.hour < hour:
        return 0
    notes = list(db.session.scalars(select(Notification).where(
        Notification.mail_id.is_(None), Notification.read_at.is_(None), Notification.created_at <= now,
        Notification.created_at > now - DIGEST_LOOKBACK).order_by(Notification.user_id, Notification.id)))
    by_user: dict[int, list[Notification]] = {}
    for note in notes:
        by_user.setdefault(note.user_id, []).append(note)
    if not by_user:
        return 0
    modes = modes_by_user(list(by_user))
    done = set(db.session.scalars(select(OutboxMail.key).where(
        OutboxMail.key.in_([digest_key(uid, now) for uid in by_user]))))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(by_user))))}
    made = 0
    for user_id, mine in by_user.items():
        user = users.get(user_id)
        wanted = [n for n in mine if mode_in(modes[user_id], n.kind) == DeliveryMode.DIGEST]
        if user is None or not wanted or not can_receive(user) or digest_key(user_id, now) in done:
            continue
        row = _queue(user, DIGEST_KIND, render_digest(user, wanted), key=digest_key(user_id, now))
        for note in wanted:
            note.mail_id = row.id
        made += 1
    return made


def take_pending(session: Any) -> list[int]:
    """The ids of mails added in `session` that are now committed (called after commit)."""
    made = session.info.pop(PENDING_KEY, None) or []
    ids = []
    for row in made:
        state = inspect(row)
        if state.persistent and state.identity:
            ids.append(state.identity[0])
    return ids


def forget_pending(session: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def overdue_mails(now: datetime, grace: timedelta) -> list[int]:
    """Pending mails whose attempt is overdue by more than `grace` (their job was lost), oldest first."""
    query = (select(OutboxMail.id).where(OutboxMail.status == MailStatus.PENDING,
                                         or_(OutboxMail.next_attempt_at.is_(None),
                                             OutboxMail.next_attempt_at <= now - grace))
             .order_by(OutboxMail.id).limit(1000))
    return list(db.session.scalars(query))


def prune_sent(now: datetime) -> int:
    """Delete sent mails older than KEEP_SENT (their notifications stay); return how many."""
    result = db.session.execute(delete(OutboxMail).where(OutboxMail.status == MailStatus.SENT,
                                                         OutboxMail.sent_at < now - KEEP_SENT))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recent_mails(status: str | None = None, limit: int = 100) -> list[OutboxMail]:
    """The latest mails of the outbox (of one status, or all), newest first."""
    query = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit)
    if status in MailStatus.ALL:
        query = query.where(OutboxMail.status == status)
    return list(db.session.scalars(query))


def retry(mail: OutboxMail) -> None:
    """Give a failed mail one more attempt (sent after the caller commits)."""
    if mail.status != MailStatus.FAILED:
        return
    mail.status, mail.next_attempt_at = MailStatus.PENDING, utcnow()
    db.session.info.setdefault(PENDING_KEY, []).append(mail)


# One attempt ----------------------------------------------------------------------------------------------------------

def settings_from(config: Mapping[str, Any]) -> mailer.MailSettings:
    """The mail settings of this site: MAIL_BACKEND, or smtp when MAIL_HOST is set, else the folder."""
    backend = (config.get("MAIL_BACKEND") or ("smtp" if config.get("MAIL_HOST") else "folder")).strip().lower()
    return mailer.MailSettings(
        backend=backend, sender=config.get("MAIL_FROM") or "Enable <enable@localhost>", host=config.get("MAIL_HOST"),
        port=int(config.get("MAIL_PORT") or 0), security=str(config.get("MAIL_SECURITY") or "starttls").lower(),
        username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
        timeout_s=float(config.get("MAIL_TIMEOUT_S", 30.0)), ca_file=config.get("MAIL_CA_FILE"),
        folder=config.get("MAIL_DIR"))


def backoff_s(attempt: int, base_s: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base, 4x, 16x, 64x ..."""
    return float(base_s) * 4 ** max(attempt - 1, 0)


def attempt_send(mail_id: int, settings: mailer.MailSettings, max_attempts: int, base_delay_s: float) -> float | None:
    """Claim the mail, hand it to the mail server once and record how it went; return the seconds until a retry,
    or None when it was sent, given up, or not ours to attempt (not due, or claimed by another worker).

    Runs in its own session: it may be called from the after-commit hook of the session that queued the mail.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        now = utcnow()
        # A killed worker frees the claim after this; it covers a whole SMTP conversation (about eight steps, each
        # allowed timeout_s), so a slow server's mail is never claimed again while it is still being sent.
        lease = now + timedelta(seconds=settings.timeout_s * 10 + 60)
        claimed = session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, OutboxMail.status == MailStatus.PENDING,
                   or_(OutboxMail.next_attempt_at.is_(None),
                       OutboxMail.next_attempt_at <= now + timedelta(seconds=CLAIM_SLACK_S)))
            .values(next_attempt_at=lease).execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if claimed != 1:
            return None
        row = session.get(OutboxMail, mail_id)
        assert row is not None
        domain = settings.sender.rsplit("@", 1)[-1].strip("> ") or None
        session.commit()  # no transaction stays open while the mail server answers
        error: str | None = None
        try:
            # Composed inside the attempt: a mail that cannot be built (a bad header) is a recorded failure too.
            message = mailer.compose(mailer.Mail(row.recipient, row.subject, row.body_text, row.body_html),
                                     settings.sender, domain)
            mailer.send(message, settings)
        except mailer.MailError as e:
            error = str(e)[:ERROR_CHARS]
        except Exception as e:  # anything else still ends this attempt as a recorded failure (never an endless redo)
            log.exception("mail %s: sending failed unexpectedly", mail_id)
            error = f"{type(e).__name__}: {e}"[:ERROR_CHARS]
        number = row.attempts + 1
        finished = utcnow()
        row.attempts, row.last_error = number, error
        delay: float | None = None
        if error is None:
            row.status, row.sent_at, row.next_attempt_at = MailStatus.SENT, finished, None
        elif number >= max_attempts:
            row.status, row.next_attempt_at = MailStatus.FAILED, None
        else:
            delay = backoff_s(number, base_delay_s)
            row.next_attempt_at = finished + timedelta(seconds=delay)
        session.commit()
    if error is None:
        log.info("mail %s sent (attempt %d)", mail_id, number)
    else:
        log.warning("mail %s attempt %d failed: %s", mail_id, number, error)
    return delay
