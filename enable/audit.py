"""The audit log: who did what to which object, for admin and enablement actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String
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
