"""Signed-in browsers: each sign-in opens a UserSession whose random key the session and remember-me cookies carry
(through User.get_id), so ending the row ends every copy of those cookies."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from enable.auth.models import User, UserSession
from enable.db import utcnow
from enable.extensions import db


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def open_session(user: User, *, remember: bool, now: datetime | None = None) -> str:
    """Start a session of `user` lasting REMEMBER_DAYS with "remember me", else the session lifetime; set and return
    its key (for get_id). The caller commits."""
    now = now or utcnow()
    lifetime: timedelta = (current_app.config["REMEMBER_COOKIE_DURATION"] if remember
                           else current_app.permanent_session_lifetime)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_hash(key), created_at=now, expires_at=now + lifetime))
    db.session.flush()
    user.session_key = key
    return key


def session_user(cookie_id: str, now: datetime | None = None) -> User | None:
    """The active user whose open session a cookie's "<user id>:<key>" names, else None."""
    user_id, _sep, key = cookie_id.partition(":")
    if not user_id.isdigit() or not key or len(key) > 100:
        return None
    user = db.session.scalar(select(User).join(UserSession, UserSession.user_id == User.id).where(
        User.id == int(user_id), UserSession.key_hash == _hash(key), UserSession.expires_at > (now or utcnow())))
    if user is None or not user.is_active:
        return None
    user.session_key = key
    return user


def close_session(user: User) -> None:
    """End the session the user is signed in with (this browser). The caller commits."""
    if user.session_key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _hash(user.session_key)))


def end_sessions(user: User, *, keep: str | None = None) -> None:
    """End every session of the user (but the one whose key is `keep`). The caller commits."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.key_hash != _hash(keep))
    db.session.execute(query)
