"""Route guards by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from enable.auth.models import Role


def role_required(role: Role) -> Callable:
    """Require a signed-in user whose role includes `role`; anonymous users go to login, others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]  # read by the access-matrix test
        return wrapped

    return decorator
