"""Usage events: who viewed, played, shared or used which content, and on which deal."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from enable.auth.models import enum_column
from enable.db import created_at
from enable.extensions import Model, db


class UsageKind(StrEnum):
    VIEW = "view"
    PLAY = "play"
    SHARE = "share"
    PLAYLIST_PLAY = "playlist_play"
    USED_ON_DEAL = "used_on_deal"
    DOWNLOAD = "download"


class UsageEvent(Model):
    __tablename__ = "usage_event"
    __table_args__ = (Index("ix_usage_event_item", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[UsageKind] = mapped_column(enum_column(UsageKind, "usage_kind"))
    item_type: Mapped[str] = mapped_column(String(20))  # bite, playlist, playbook, asset
    item_id: Mapped[int]
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="SET NULL"), index=True)
    seconds: Mapped[float | None]  # seconds listened, for plays
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at] = mapped_column(index=True)


def record_usage(user: Any | None, kind: UsageKind, item_type: str, item_id: int, *, deal_id: int | None = None,
                 seconds: float | None = None, meta: dict[str, Any] | None = None) -> UsageEvent:
    """Add a usage event; the caller commits."""
    event = UsageEvent(user_id=getattr(user, "id", None), kind=kind, item_type=item_type, item_id=item_id,
                       deal_id=deal_id, seconds=seconds, meta=meta or {})
    db.session.add(event)
    return event
