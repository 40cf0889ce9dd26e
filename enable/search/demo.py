"""Demo data for find-and-play: a best example and a team playlist built from the sample calls."""

from __future__ import annotations

from sqlalchemy import select

from enable.auth.models import User
from enable.bites.models import Bite, BiteTag
from enable.demo import register_demo_step
from enable.extensions import db
from enable.search.indexing import index_bites
from enable.search.models import Playlist, PlaylistItem
from enable.search.playlists import create_playlist
from enable.taxonomy.models import Tag, TagKind

DEMO_PLAYLIST = "Price objection: how we answer"
DEMO_OWNER = "manager@example.test"


def load_demo_playlist(users: dict[str, User]) -> str:
    """Mark the first price-objection bite as a best example and share a playlist of them all (idempotent)."""
    owner = users.get(DEMO_OWNER)
    if owner is None:
        return "skipped: no demo manager"
    if db.session.scalar(select(Playlist.id).where(Playlist.name == DEMO_PLAYLIST)) is not None:
        return "already loaded"
    bites = list(db.session.scalars(
        select(Bite).join(BiteTag).join(Tag)
        .where(Tag.kind == TagKind.OBJECTION, Tag.key == "price", BiteTag.is_removed.is_(False))
        .order_by(Bite.call_id, Bite.seq)
    ))
    if not bites:
        return "skipped: no sample bite carries the price objection (load the sample calls first)"
    best = bites[0]
    best.is_best, best.best_marked_by_id = True, owner.id
    playlist = create_playlist(owner, DEMO_PLAYLIST, "Sample answers to “too expensive”, best example first.")
    playlist.team_id = owner.team_id
    playlist.items = [PlaylistItem(bite_id=b.id, position=n, added_by_id=owner.id) for n, b in enumerate(bites)]
    db.session.flush()
    index_bites([best.id])
    return f"1 best example, playlist “{DEMO_PLAYLIST}” with {len(bites)} bites"


def register() -> None:
    """Add the demo step; called when the search blueprint is registered, so it runs after the sample calls."""
    register_demo_step("playlists", load_demo_playlist)
