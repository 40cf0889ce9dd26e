"""Playlists: named, ordered lists of bites, private or shared with the owner's team."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls.models import Call
from enable.database import lock_row
from enable.db import utcnow
from enable.display_names import clean_name
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.models import Playlist, PlaylistItem
from enable.search.services import run_index_query

NAME_MAX = 200
MAX_ITEMS = 200  # longer lists are not played through; a search with more hits keeps its top ones
FROM_SEARCH_DEFAULT = 14


class PlaylistNotFound(UserError):
    """The playlist does not exist or is not visible to this user (indistinguishable on purpose)."""

    status_code = 404


class PlaylistInvalid(UserError):
    """What the user asked would break the playlist (empty name, duplicate bite, too many items)."""

    status_code = 422


def can_see(user: User, playlist: Playlist) -> bool:
    """Owners see their playlists, team members see those shared with their team, enablement sees all."""
    return (playlist.owner_id == user.id or (playlist.team_id is not None and playlist.team_id == user.team_id)
            or user.has_role(Role.ENABLEMENT))


def can_edit(user: User, playlist: Playlist) -> bool:
    """Only the owner (or enablement, who curate the library) changes a playlist's bites, name and order."""
    return playlist.owner_id == user.id or user.has_role(Role.ENABLEMENT)


def can_share(user: User, playlist: Playlist) -> bool:
    """Only the owner decides whether their playlist is shared with their team."""
    return playlist.owner_id == user.id


def visible_playlists(user: User) -> list[Playlist]:
    """The user's own playlists and those shared with their team, most recently changed first."""
    conditions = [Playlist.owner_id == user.id]
    if user.team_id is not None:
        conditions.append(Playlist.team_id == user.team_id)
    return list(db.session.scalars(
        select(Playlist).where(or_(*conditions))
        .options(selectinload(Playlist.owner), selectinload(Playlist.team), selectinload(Playlist.items))
        .order_by(Playlist.updated_at.desc().nulls_last(), Playlist.id.desc())
    ))


def editable_playlists(user: User) -> list[Playlist]:
    """The playlists a user may add a bite to (their own), by name."""
    return list(db.session.scalars(select(Playlist).where(Playlist.owner_id == user.id).order_by(Playlist.name)))


def get_playlist(playlist_id: int, user: User) -> Playlist:
    """The playlist with its bites (and their calls) if the user may see it, else PlaylistNotFound."""
    playlist = db.session.scalar(
        select(Playlist).where(Playlist.id == playlist_id).options(
            selectinload(Playlist.owner), selectinload(Playlist.team),
            selectinload(Playlist.items).selectinload(PlaylistItem.bite).selectinload(Bite.call)
            .selectinload(Call.rep),
        )
    )
    if playlist is None or not can_see(user, playlist):
        raise PlaylistNotFound(_("This playlist does not exist or is not shared with you."))
    return playlist


def _require_edit(user: User, playlist: Playlist) -> None:
    if not can_edit(user, playlist):
        raise NotAllowed(_("Only the owner of this playlist can change it; "
                           "add its bites to a playlist of your own instead."))


def _clean_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise PlaylistInvalid(_("Give the playlist a name, for example “Price objection: 14 ways”."))
    return name[:NAME_MAX]


def _touch(playlist: Playlist, now: datetime | None) -> None:
    playlist.updated_at = now or utcnow()


def create_playlist(user: User, name: str, description: str | None = None, *,
                    now: datetime | None = None) -> Playlist:
    """Create an empty private playlist owned by the user."""
    playlist = Playlist(name=_clean_name(name), description=(description or "").strip() or None, owner_id=user.id,
                        created_at=now or utcnow(), updated_at=now or utcnow())
    db.session.add(playlist)
    db.session.flush()
    return playlist


def update_playlist(playlist: Playlist, user: User, name: str, description: str | None,
                    *, now: datetime | None = None) -> None:
    """Rename the playlist and change its description."""
    _require_edit(user, playlist)
    playlist.name = _clean_name(name)
    playlist.description = (description or "").strip() or None
    _touch(playlist, now)


def add_bite(playlist: Playlist, bite: Bite, user: User, *, now: datetime | None = None) -> PlaylistItem:
    """Append a bite at the end of the playlist."""
    _require_edit(user, playlist)
    lock_row(playlist)  # bites added at once are counted (and placed) one after another
    if any(item.bite_id == bite.id for item in playlist.items):
        raise PlaylistInvalid(_("This bite is already in “%(name)s”.", name=playlist.name))
    if len(playlist.items) >= MAX_ITEMS:
        raise PlaylistInvalid(_("A playlist holds at most %(n)d bites; start another one.", n=MAX_ITEMS))
    item = PlaylistItem(bite_id=bite.id, position=len(playlist.items), added_by_id=user.id)
    playlist.items.append(item)
    _touch(playlist, now)
    db.session.flush()
    return item


def _item(playlist: Playlist, item_id: int) -> PlaylistItem:
    item = next((i for i in playlist.items if i.id == item_id), None)
    if item is None:
        raise PlaylistNotFound(_("That bite is no longer in this playlist."))
    return item


def _renumber(playlist: Playlist) -> None:
    for position, item in enumerate(playlist.items):
        item.position = position


def remove_item(playlist: Playlist, item_id: int, user: User, *, now: datetime | None = None) -> None:
    """Take one bite out of the playlist; the others close up."""
    _require_edit(user, playlist)
    playlist.items.remove(_item(playlist, item_id))
    _renumber(playlist)
    _touch(playlist, now)


def move_item(playlist: Playlist, item_id: int, offset: int, user: User, *, now: datetime | None = None) -> None:
    """Move one bite `offset` places (-1 up, +1 down), stopping at either end."""
    _require_edit(user, playlist)
    items = list(playlist.items)
    item = _item(playlist, item_id)
    old = items.index(item)
    new = max(0, min(len(items) - 1, old + offset))
    items.insert(new, items.pop(old))
    for position, it in enumerate(items):
        it.position = position
    playlist.items.sort(key=lambda i: i.position)
    _touch(playlist, now)


def reorder(playlist: Playlist, item_ids: list[int], user: User, *, now: datetime | None = None) -> None:
    """Put the bites in the order of item_ids (every item exactly once), as a drag-and-drop sends it."""
    _require_edit(user, playlist)
    if sorted(item_ids) != sorted(i.id for i in playlist.items):
        raise PlaylistInvalid(_("The playlist changed meanwhile; reload the page and reorder again."))
    order = {item_id: position for position, item_id in enumerate(item_ids)}
    for item in playlist.items:
        item.position = order[item.id]
    playlist.items.sort(key=lambda i: i.position)
    _touch(playlist, now)


def set_shared(playlist: Playlist, user: User, shared: bool, *, now: datetime | None = None) -> None:
    """Share the playlist with the owner's team, or make it private again."""
    if not can_share(user, playlist):
        raise NotAllowed(_("Only the owner of this playlist can share it."))
    if shared and user.team_id is None:
        raise PlaylistInvalid(_("You are not in a team yet; ask an admin to add you to one, then share."))
    playlist.team_id = user.team_id if shared else None
    _touch(playlist, now)


def delete_playlist(playlist: Playlist, user: User) -> None:
    """Delete the playlist (its bites stay in the library)."""
    _require_edit(user, playlist)
    if playlist.owner_id != user.id:
        audit.record(user, "playlist.delete", playlist, {"name": playlist.name, "owner_id": playlist.owner_id})
    db.session.delete(playlist)


def playlist_from_search(user: User, name: str, q: SearchQuery, limit: int = FROM_SEARCH_DEFAULT,
                         *, now: datetime | None = None) -> Playlist:
    """Create a playlist holding the top `limit` results of a search, in result order."""
    limit = max(1, min(limit, MAX_ITEMS))
    result = run_index_query(replace(q, page=1, per_page=min(limit, 100)))
    ids = [h.id for h in result.hits]
    page = 2
    while len(ids) < min(limit, result.total) and page <= MAX_ITEMS // 100 + 1:
        more = run_index_query(replace(q, page=page, per_page=100)).hits
        if not more:
            break
        ids.extend(h.id for h in more)
        page += 1
    existing = set(db.session.scalars(select(Bite.id).where(Bite.id.in_(ids[:limit]))))
    ids = [i for i in ids[:limit] if i in existing]
    if not ids:
        raise PlaylistInvalid(_("This search has no results to put in a playlist; change the search first."))
    playlist = create_playlist(user, name, now=now)
    playlist.items = [PlaylistItem(bite_id=bite_id, position=n, added_by_id=user.id) for n, bite_id in enumerate(ids)]
    db.session.flush()
    return playlist
