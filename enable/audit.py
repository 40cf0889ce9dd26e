"""The audit log: who did what to which object, for admin and enablement actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from enable.db import created_at
from enable.extensions import Model, db


class AuditEvent(Model):
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


# What each action code means, in the reader's language (the log stores codes; unknown ones show as they are).
ACTION_LABELS = {
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "asset.create": _l("Asset created"),
    "asset.update": _l("Asset changed"),
    "backup.export": _l("Backup written"),
    "backup.export_download": _l("Backup downloaded"),
    "backup.restore": _l("Backup restored"),
    "bite.best": _l("Best example marked or unmarked"),
    "bite.tag_add": _l("Tag added to a bite"),
    "bite.tag_remove": _l("Tag removed from a bite"),
    "call.confirm_rep": _l("Call's rep confirmed"),
    "call.delete": _l("Call deleted"),
    "call.retry": _l("Call retried"),
    "call.update": _l("Call changed"),
    "call.upload": _l("Call uploaded"),
    "certification.acknowledge": _l("Playbook change acknowledged"),
    "certification.award": _l("Certification awarded"),
    "certification.signoff": _l("Certification step signed off"),
    "content.archive": _l("Content archived"),
    "content.load": _l("Content folder loaded"),
    "content.restore": _l("Content restored"),
    "content.retire": _l("Content retired"),
    "content.settings": _l("Content settings changed"),
    "content.unlink": _l("Link removed from content"),
    "content.verify": _l("Content verified"),
    "deal.link_call": _l("Call linked to a deal"),
    "deal.unlink_call": _l("Call unlinked from a deal"),
    "deals.import": _l("Deals imported"),
    "playbook.create": _l("Playbook created"),
    "playbook.language": _l("Playbook language changed"),
    "playbook.update": _l("Playbook changed"),
    "playlist.delete": _l("Playlist deleted"),
    "quiz.delete": _l("Quiz deleted"),
    "quiz.question_delete": _l("Quiz question deleted"),
    "quiz.question_save": _l("Quiz question saved"),
    "quiz.save": _l("Quiz saved"),
    "team.save": _l("Team saved"),
    "track.assign": _l("Track assigned"),
    "track.save": _l("Track saved"),
    "track.signoff": _l("Track step signed off"),
    "track.step_add": _l("Track step added"),
    "track.step_delete": _l("Track step removed"),
    "user.create": _l("User created"),
    "user.login_throttled": _l("Sign-ins throttled"),
    "user.password_reset": _l("Password reset"),
    "user.update": _l("User changed"),
    "voice_profile.delete": _l("Voice profile deleted"),
    "webhook.endpoint_create": _l("Webhook endpoint added"),
    "webhook.endpoint_delete": _l("Webhook endpoint deleted"),
    "webhook.endpoint_update": _l("Webhook endpoint changed"),
    "webhook.redeliver": _l("Webhook delivery sent again"),
    "webhook.test": _l("Webhook test event sent"),
}
FAMILY_LABELS = {
    "api_token": _l("API tokens"),
    "asset": _l("Assets"),
    "backup": _l("Backups"),
    "bite": _l("Bites"),
    "call": _l("Calls"),
    "certification": _l("Certifications"),
    "content": _l("Content"),
    "deal": _l("Deals"),
    "deals": _l("Deal imports"),
    "playbook": _l("Playbooks"),
    "playlist": _l("Playlists"),
    "quiz": _l("Quizzes"),
    "team": _l("Teams"),
    "track": _l("Tracks"),
    "user": _l("Users"),
    "voice_profile": _l("Voice profiles"),
    "webhook": _l("Webhooks"),
}


def action_label(action: str) -> str:
    """An action code as people say it ("user.create" -> "User created"), else the code."""
    label = ACTION_LABELS.get(action) or FAMILY_LABELS.get(action)
    return str(label) if label is not None else action


def known_actions() -> list[str]:
    """Every action recorded so far, sorted (for the filter)."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
