"""The main navigation: each capability registers its entries; each user sees those their role allows.

Entries are grouped by area so the bar keeps to one row at 1366 px for every role (an admin sees every
entry): the daily starting points (home, search, learning, deals, the manager's team and reports) stay
links on the bar, and each area gathers in one disclosure menu: "Content" (the library, playbooks, assets
and calls), "Manage content" (enablement's trackers, content health, taxonomy) and "Administration".
An entry's area comes from ``group``, else from ``AREAS`` (the bar's layout reads in this one file), else
from its role (``Role.ENABLEMENT`` -> "curation", ``Role.ADMIN`` -> "admin"). An area with one visible
entry is shown as a plain link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.models import Role

# Areas shown as menus: key -> the menu's name.
NAV_GROUPS: dict[str, LazyString] = {
    "content": _l("Content"),
    "curation": _l("Manage content"),
    "admin": _l("Administration"),
}
AREAS = {"search.browse": "content", "playbooks.index": "content", "assets.index": "content", "calls.index": "content"}
_GROUP_OF_ROLE = {Role.ENABLEMENT: "curation", Role.ADMIN: "admin"}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString | str
    role: Role
    order: int
    group: str | None = None


_items: list[NavItem] = []


def add_nav_item(
    endpoint: str, label: LazyString | str, role: Role = Role.REP, order: int = 50, group: str | None = None
) -> None:
    """Show a link to `endpoint` to users whose role includes `role`, in the menu of `group` (default: by role)."""
    if group is None:
        group = AREAS.get(endpoint) or _GROUP_OF_ROLE.get(role)
    if group is not None and group not in NAV_GROUPS:
        raise ValueError(f"unknown navigation group {group!r}")
    if all(item.endpoint != endpoint for item in _items):
        _items.append(NavItem(endpoint, label, role, order, group))
        _items.sort(key=lambda i: i.order)


def init_app(app: Flask) -> None:
    """Give templates the navigation entries of the signed-in user."""

    @app.context_processor
    def navigation() -> dict:
        if not current_user.is_authenticated:
            return {"nav_items": []}
        items: list[dict[str, Any]] = []
        for item in _items:
            if current_user.has_role(item.role) and item.endpoint in app.view_functions:
                url = url_for(item.endpoint)
                active = request.path == url or (url != "/" and request.path.startswith(url.rstrip("/") + "/"))
                items.append({"url": url, "label": str(item.label), "active": active, "group": item.group})
        # One current page: /learning/team/7 is under Learning (/learning/) and Team; the longer match wins.
        current = max((i for i in items if i["active"]), key=lambda i: len(i["url"]), default=None)
        for i in items:
            i["active"] = i is current
        return {"nav_items": group_items(items)}


def group_items(items: list[dict]) -> list[dict]:
    """The bar's entries in order: links, and a menu ({"menu": key, "label", "items", "active"}) per area
    with two entries or more, placed where its first entry would be."""
    counts: dict[str, int] = {}
    for item in items:
        if item["group"]:
            counts[item["group"]] = counts.get(item["group"], 0) + 1
    entries: list[dict] = []
    menus: dict[str, dict] = {}
    for item in items:
        key = item["group"]
        if not key or counts[key] < 2:
            entries.append(item)
            continue
        if key not in menus:
            menus[key] = {"menu": key, "label": str(NAV_GROUPS[key]), "items": [], "active": False}
            entries.append(menus[key])
        menus[key]["items"].append(item)
        menus[key]["active"] = menus[key]["active"] or item["active"]
    return entries
