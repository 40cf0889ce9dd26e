"""Personal API tokens: created and revoked by their owner (admins revoke any), shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from enable import audit
from enable.auth.models import Role, User, enum_column
from enable.database import commit_if_possible, lock_row
from enable.db import created_at, utcnow
from enable.display_names import clean_name
from enable.errors import NotAllowed, UserError
from enable.extensions import Model, db

TOKEN_PREFIX = "enb_"  # noqa: S105  (not a secret) every token starts with this, so secret scanners and people recognise one
PREFIX_CHARS = 12  # how much of a token is kept in the clear to tell tokens apart
NAME_MAX = 100
MAX_TOKENS_PER_USER = 50
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class TokenScope(StrEnum):
    """What a token may do: read only, or read and change."""

    READ = "read"
    READ_WRITE = "read-write"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])

    @property
    def can_write(self) -> bool:
        return self == TokenScope.READ_WRITE


SCOPE_LABELS = {TokenScope.READ: _l("Read only"), TokenScope.READ_WRITE: _l("Read and write")}


class ApiToken(Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    prefix: Mapped[str] = mapped_column(String(20))  # the first characters of the token, shown in lists
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the whole token
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"), default=TokenScope.READ)
    created_at: Mapped[created_at]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def label(self) -> str:
        """The token's name, or its visible prefix."""
        return self.name or f"{self.prefix}…"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix} {self.scope}>"


class TokenNotFound(UserError):
    status_code = 404


def hash_token(secret: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by (tokens are random, so no salt is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(user: User, *, name: str | None, scope: TokenScope, now: datetime | None = None
                 ) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it with the secret, which is shown once and never stored. The caller commits."""
    if not user.is_active:
        raise NotAllowed(_("A deactivated account cannot have API tokens."))
    name = clean_name(name)[:NAME_MAX] or None
    lock_row(user)  # tokens made at once are counted one after another
    active = db.session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) or 0
    if active >= MAX_TOKENS_PER_USER:
        raise UserError(_("You have %(n)d active tokens; revoke one you no longer use first.", n=active))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=secret[:PREFIX_CHARS], token_hash=hash_token(secret),
                     scope=TokenScope(scope), created_at=now or utcnow())
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", token, {"prefix": token.prefix, "scope": token.scope.value})
    return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def all_tokens() -> list[ApiToken]:
    """Every token with its owner (for admins), active ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).options(selectinload(ApiToken.user))
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def revoke_token(token_id: int, actor: User, *, now: datetime | None = None) -> ApiToken:
    """Revoke a token: its owner may, and so may admins. Revoking twice changes nothing. The caller commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not (token.user_id == actor.id or actor.has_role(Role.ADMIN)):
        raise TokenNotFound(_("This token does not exist or is not yours."))
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        token.revoked_by_id = actor.id
        audit.record(actor, "api_token.revoke", token, {"prefix": token.prefix, "owner_id": token.user_id})
    return token


def authenticate(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token with this secret whose owner's account is active, else None; notes when it was used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
                              .options(selectinload(ApiToken.user)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        commit_if_possible("API token's last use")  # bookkeeping: a full disk must not refuse the request
    return token
