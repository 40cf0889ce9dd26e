"""Notifications: adding one (and its mail, for kinds the user wants at once), the bell, and email choices.

`notify()` only adds rows to the caller's session: the Notification, and for a kind the user gets at once, an
OutboxMail rendered in the user's language. The mail's job is queued after that session commits (see
enable.notifications.jobs), so a request never waits for the mail server and a rolled-back change mails nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from werkzeug.exceptions import NotFound

from enable.auth.models import User
from enable.extensions import db
from enable.notifications import delivery
from enable.notifications.kinds import DeliveryMode
from enable.notifications.models import Notification
from enable.notifications.preferences import mode_for

LIST_LIMIT = 100


def _is_local_path(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//") and "\\" not in link


def notify(user: Any, kind: str, message: str, link: str | None = None, now: datetime | None = None,
           key: str | None = None) -> Notification | None:
    """Add a notification for `user` (a User or an id); `link` must be a path on this site. With `key`, an
    occurrence already told to this user is not told again (None is returned). When the user wants this kind by
    email at once, its mail is added too (sent after the commit). The caller commits."""
    if link is not None and not _is_local_path(link):
        raise ValueError(f"notification links must be local paths, not {link!r}")
    user_id = user if isinstance(user, int) else user.id
    if key is not None and db.session.scalar(
            select(Notification.id).where(Notification.user_id == user_id, Notification.key == key)) is not None:
        return None
    note = Notification(user_id=user_id, kind=kind, message=message[:500], link=link, key=key)
    if now is not None:
        note.created_at = now
    db.session.add(note)
    person = user if isinstance(user, User) else db.session.get(User, user_id)
    if person is not None and delivery.can_receive(person) and mode_for(user_id, kind) == DeliveryMode.INSTANT:
        note.mail_id = delivery.queue_notice(person, note).id
    return note


# The bell -------------------------------------------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    """How many notifications this user has not opened."""
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                                 Notification.read_at.is_(None))
    return db.session.scalar(query) or 0


def recent(user_id: int, limit: int = LIST_LIMIT) -> list[Notification]:
    """The user's latest notifications, newest first."""
    query = (select(Notification).where(Notification.user_id == user_id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def mark_read(note: Notification, user: Any, now: datetime) -> None:
    """Mark one of the user's notifications read; anyone else's is not found."""
    if note.user_id != user.id:
        raise NotFound()
    if note.read_at is None:
        note.read_at = now


def mark_all_read(user: Any, now: datetime) -> None:
    """Mark every notification of the user read."""
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=now))
