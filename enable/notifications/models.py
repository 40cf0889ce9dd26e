"""Notifications (the bell), each user's email choice per kind, and the outbox of mails sent or to send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enable.db import created_at
from enable.extensions import Model


class Notification(Model):
    """A message for one user with a link, shown behind the bell; `mail_id` is the mail that carried it, if any."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_notification_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. stale, mention (enable.notifications.kinds)
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this site
    key: Mapped[str | None] = mapped_column(String(200))  # names an occurrence told at most once (scheduled checks)
    created_at: Mapped[created_at] = mapped_column(index=True)
    read_at: Mapped[datetime | None]
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"), index=True)


class EmailPreference(Model):
    """How one user wants one kind of notification by email (a DeliveryMode); absent: the kind's default."""

    __tablename__ = "email_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_email_preference_user_id_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))  # instant, digest or off


class MailStatus:
    """Where a mail stands: waiting for its (next) attempt, accepted by the mail server, or given up."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    ALL = (PENDING, SENT, FAILED)


class OutboxMail(Model):
    """One mail to one person, rendered in their language when it was queued, attempted until sent or given up."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))  # a notification kind, "digest" or "test"
    key: Mapped[str | None] = mapped_column(String(200), unique=True)  # e.g. digest:<user>:<day>: made at most once
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None]  # also the claim of the worker attempting it
    created_at: Mapped[created_at] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
