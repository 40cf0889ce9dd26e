"""In-app notifications: a message for one user with a link, shown behind the bell in the top bar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from enable.db import created_at, utcnow
from enable.extensions import db

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

LIST_LIMIT = 100


class Notification(db.Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. stale, playbook_changed
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this site
    created_at: Mapped[created_at] = mapped_column(index=True)
    read_at: Mapped[datetime | None]


def _is_local_path(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//") and "\\" not in link


def notify(user: Any, kind: str, message: str, link: str | None = None, now: datetime | None = None) -> Notification:
    """Add a notification for `user` (a User or an id); `link` must be a path on this site. The caller commits."""
    if link is not None and not _is_local_path(link):
        raise ValueError(f"notification links must be local paths, not {link!r}")
    user_id = user if isinstance(user, int) else user.id
    note = Notification(user_id=user_id, kind=kind, message=message[:500], link=link)
    if now is not None:
        note.created_at = now
    db.session.add(note)
    return note


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
        abort(404)
    if note.read_at is None:
        note.read_at = now


def mark_all_read(user: Any, now: datetime) -> None:
    """Mark every notification of the user read."""
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=now))


@bp.app_context_processor
def bell_context() -> dict:
    """The unread count behind the bell, for signed-in users."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_count(current_user.id)}


@bp.get("/")
@login_required
def index():
    return render_template("playbooks/notifications.html", notes=recent(current_user.id))


@bp.post("/<int:note_id>/open")
@login_required
def open_note(note_id: int):
    note = db.get_or_404(Notification, note_id)
    mark_read(note, current_user, utcnow())
    db.session.commit()
    return redirect(note.link or url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    mark_all_read(current_user, utcnow())
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
