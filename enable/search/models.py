"""What people searched for, and the playlists they build from bites."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import Team, User
from enable.db import created_at
from enable.extensions import Model

if TYPE_CHECKING:
    from enable.bites.models import Bite


class SearchLog(Model):
    """One search run from the search page, with its result count (read by the search-gap report)."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    query: Mapped[str] = mapped_column(String(500))  # the text typed, trimmed; "" for a filter-only search
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> [values]; date_from/date_to as ISO
    result_count: Mapped[int]
    created_at: Mapped[created_at] = mapped_column(index=True)


class Playlist(Model):
    """A named, ordered list of bites; private to its owner unless shared with a team."""

    __tablename__ = "playlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    items: Mapped[list[PlaylistItem]] = relationship(back_populates="playlist", cascade="all, delete-orphan",
                                                     passive_deletes=True, order_by="PlaylistItem.position")

    @property
    def is_shared(self) -> bool:
        return self.team_id is not None

    def __repr__(self) -> str:
        return f"<Playlist {self.id} {self.name!r}>"


class PlaylistItem(Model):
    """One bite at one position of a playlist (positions run from 0)."""

    __tablename__ = "playlist_item"
    __table_args__ = (UniqueConstraint("playlist_id", "bite_id", name="uq_playlist_item_playlist_id_bite_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlist.id", ondelete="CASCADE"), index=True)
    bite_id: Mapped[int] = mapped_column(ForeignKey("bite.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    playlist: Mapped[Playlist] = relationship(back_populates="items")
    bite: Mapped[Bite] = relationship()
