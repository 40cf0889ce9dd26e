"""What each role's home page shows; capabilities add their panels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from enable.auth.models import Role, User


@dataclass
class Panel:
    """One box on the home page, rendered by its template with its data."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)
    order: int = 50


PanelFactory = Callable[[User], Panel | None]
_panels: list[tuple[Role, PanelFactory]] = []


def add_panel(role: Role, factory: PanelFactory) -> None:
    """Show the panel the factory builds to users whose role includes `role`."""
    if (role, factory) not in _panels:
        _panels.append((role, factory))


def dashboard_for(user: User) -> list[Panel]:
    """The panels this user sees, in order."""
    panels = [factory(user) for role, factory in _panels if user.has_role(role)]
    return sorted((p for p in panels if p is not None), key=lambda p: p.order)
