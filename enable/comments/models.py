"""A comment: anchored to a call and a second of it; the bite it was written on is kept only as a hint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model


class Visibility(StrEnum):
    """Who reads a comment besides its author."""

    TEAM = "team"  # the call's team, its manager, the call's rep and uploader, enablement and admins
    PRIVATE = "private"  # the author alone

    @property
    def label(self) -> str:
        return str(VISIBILITY_LABELS[self])


VISIBILITY_LABELS = {Visibility.TEAM: _l("Team and managers"), Visibility.PRIVATE: _l("Private note (only you)")}


class Comment(Model):
    """A comment on a call at `at_s` seconds (call time). `bite_id` says which bite page it was written on and is
    cleared when that bite goes: the comment stays on the call, at its second, whatever happens to bites."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    bite_id: Mapped[int | None] = mapped_column(ForeignKey("bite.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    at_s: Mapped[float]
    body: Mapped[str] = mapped_column(Text)  # Markdown; empty once deleted
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility, "comment_visibility"),
                                                   default=Visibility.TEAM)
    created_at: Mapped[created_at]
    edited_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]  # hidden by a moderator: only its author and enablement read it
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]  # deleted while it had replies: kept, empty, so the thread holds

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Comment {self.id} call={self.call_id} at={self.at_s:.1f}s>"
