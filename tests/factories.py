"""Factories: plain functions with defaults and **overrides; they add and flush, the test commits."""

from __future__ import annotations

import itertools
from typing import Any

from enable.auth.models import Role, Team, User
from enable.auth.passwords import hash_password
from enable.extensions import db

PASSWORD = "password1"
_PASSWORD_HASH: str | None = None
_seq = itertools.count(1)


def make_team(**overrides: Any) -> Team:
    team = Team(name=overrides.pop("name", f"Team {next(_seq)}"), **overrides)
    db.session.add(team)
    db.session.flush()
    return team


def make_user(**overrides: Any) -> User:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:  # hashing is deliberately slow; one hash serves every test user
        _PASSWORD_HASH = hash_password(PASSWORD)
    n = next(_seq)
    fields: dict[str, Any] = {"email": f"user{n}@example.test", "name": f"User {n}", "role": Role.REP,
                              "password_hash": _PASSWORD_HASH}
    fields.update(overrides)
    user = User(**fields)
    db.session.add(user)
    db.session.flush()
    return user
