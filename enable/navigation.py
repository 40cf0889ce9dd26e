"""The main navigation: each capability registers its entries; each user sees those their role allows."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_babel import LazyString
from flask_login import current_user

from enable.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString | str
    role: Role
    order: int


_items: list[NavItem] = []


def add_nav_item(endpoint: str, label: LazyString | str, role: Role = Role.REP, order: int = 50) -> None:
    """Show a link to `endpoint` to users whose role includes `role`."""
    if all(item.endpoint != endpoint for item in _items):
        _items.append(NavItem(endpoint, label, role, order))
        _items.sort(key=lambda i: i.order)


def init_app(app: Flask) -> None:
    """Give templates the navigation entries of the signed-in user."""

    @app.context_processor
    def navigation() -> dict:
        if not current_user.is_authenticated:
            return {"nav_items": []}
        items = []
        for item in _items:
            if current_user.has_role(item.role) and item.endpoint in app.view_functions:
                url = url_for(item.endpoint)
                active = request.path == url or (url != "/" and request.path.startswith(url.rstrip("/") + "/"))
                items.append({"url": url, "label": str(item.label), "active": active})
        # One current page: /learning/team/7 is under Learning (/learning/) and Team; the longer match wins.
        current = max((i for i in items if i["active"]), key=lambda i: len(i["url"]), default=None)
        for i in items:
            i["active"] = i is current
        return {"nav_items": items}
