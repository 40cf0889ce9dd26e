"""The audit log: who did what to which object, for admin and enablement actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from enable.db import created_at
from enable.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[created_at] = mapped_column(index=True)


def record(actor: Any | None, action: str, target: Any | None = None, detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Add an audit event for `actor` doing `action` on `target` (any model with an id); the caller commits."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=getattr(target, "__tablename__", None),
        target_id=getattr(target, "id", None),
        detail=detail or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    if at is not None:
        event.created_at = at
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the log to; None means any."""

    actor_id: int | None = None
    action: str | None = None  # an exact action ("user.create") or a family ("user")
    since: date | None = None  # first day included
    until: date | None = None  # last day included


def query_events(f: AuditFilter, page: int = 1, per_page: int = 50):
    """A page of audit events matching the filter, newest first, with their actors loaded."""
    from enable.auth.models import User

    query = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    if f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        family = f.action.split(".", 1)[0]
        query = query.where(AuditEvent.action == f.action if "." in f.action
                            else AuditEvent.action.startswith(f"{family}.", autoescape=True))
    if f.since is not None:
        query = query.where(AuditEvent.created_at >= datetime.combine(f.since, time.min, tzinfo=UTC))
    if f.until is not None and f.until < date.max:  # the last day there is: no upper bound
        query = query.where(AuditEvent.created_at < datetime.combine(f.until + timedelta(days=1), time.min,
                                                                      tzinfo=UTC))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    per_page = max(1, min(per_page, 200))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return AuditPage([(event, actor) for event, actor in rows], page, pages, total)


@dataclass(frozen=True)
class AuditPage:
    """One page of the log: (event, actor or None) rows and where it stands among the pages."""

    items: list[tuple[AuditEvent, Any]]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def known_actions() -> list[str]:
    """Every action recorded so far, sorted (for the filter)."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
