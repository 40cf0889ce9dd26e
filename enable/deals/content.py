"""The kinds of content usage events point at (bite, playlist, playbook, asset): titles, links, existence.

Usage events name their item by type and id only, and the capabilities that own those tables are built on
top of deals or beside it, so their models are found by table name rather than imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import has_request_context, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select

from enable.extensions import db


@dataclass(frozen=True)
class ContentType:
    """A kind of content: its usage-event item_type (= table name), label and page address pattern."""

    item_type: str
    label: LazyString | str
    plural: LazyString | str
    path: str  # the item's page, with {id}


CONTENT_TYPES: dict[str, ContentType] = {
    "bite": ContentType("bite", _l("Bite"), _l("Bites"), "/bites/{id}"),
    "playlist": ContentType("playlist", _l("Playlist"), _l("Playlists"), "/search/playlists/{id}"),
    "playbook": ContentType("playbook", _l("Playbook"), _l("Playbooks"), "/playbooks/{id}"),
    "asset": ContentType("asset", _l("Asset"), _l("Assets"), "/assets/{id}"),
}
# Columns that, when set, take an item out of circulation (the governance mixin adds them).
_RETIRED_COLUMNS = ("archived_at", "retired_at")


def register_content_type(item_type: str, label: LazyString | str, plural: LazyString | str, path: str) -> None:
    """Add a kind of content (its table name is the usage item_type) to the usage and influence reports."""
    CONTENT_TYPES[item_type] = ContentType(item_type, label, plural, path)


def type_label(item_type: str) -> str:
    """The display name of a content type."""
    known = CONTENT_TYPES.get(item_type)
    return str(known.label) if known else item_type


def model_for(item_type: str) -> Any | None:
    """The mapped class whose table is `item_type`, or None while that capability is not installed."""
    if item_type not in CONTENT_TYPES:
        return None
    for mapper in db.Model.registry.mappers:  # type: ignore[attr-defined]
        if getattr(mapper.class_, "__tablename__", None) == item_type:
            return mapper.class_
    return None


def _title_column(model: Any) -> Any:
    columns: Any = inspect(model).columns
    for name in ("title", "name"):
        if name in columns:
            return getattr(model, name)
    return model.id


def _live(model: Any, stmt: Any) -> Any:
    columns: Any = inspect(model).columns
    for name in _RETIRED_COLUMNS:
        if name in columns:
            stmt = stmt.where(getattr(model, name).is_(None))
    return stmt


def titles(item_type: str, ids: Iterable[int]) -> dict[int, str]:
    """Titles of the given items of one type, by id; missing ids are left out."""
    model = model_for(item_type)
    wanted = sorted(set(ids))
    if model is None or not wanted:
        return {}
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = db.session.execute(select(model.id, _title_column(model)).where(model.id.in_(chunk)))
        found.update({row[0]: str(row[1]) for row in rows})
    return found


def exists(item_type: str, item_id: int) -> bool:
    """True when the item is in the database."""
    model = model_for(item_type)
    return model is not None and db.session.get(model, item_id) is not None


def live_items(item_type: str, limit: int = 500) -> list[tuple[int, str]]:
    """(id, title) of items of one type that are not archived or retired, newest first."""
    model = model_for(item_type)
    if model is None:
        return []
    stmt = _live(model, select(model.id, _title_column(model))).order_by(model.id.desc()).limit(limit)
    return [(row[0], str(row[1])) for row in db.session.execute(stmt)]


def live_ids_select(item_type: str) -> Any | None:
    """A SELECT of the ids of live items of one type, or None when the type has no table."""
    model = model_for(item_type)
    return None if model is None else _live(model, select(model.id))


def item_url(item_type: str, item_id: int, **query: object) -> str:
    """The address of an item's page (relative to the site root), with optional query arguments."""
    known = CONTENT_TYPES.get(item_type)
    if known is None:
        return "#"
    root = request.script_root if has_request_context() else ""
    suffix = "?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else ""
    return root + known.path.format(id=int(item_id)) + (suffix if suffix != "?" else "")
