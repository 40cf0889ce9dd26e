"""Users, teams and roles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.db import UTCDateTime, created_at, utcnow
from enable.extensions import Model


class Role(StrEnum):
    """A user's role; each role includes the rights of those below it."""

    REP = "rep"
    MANAGER = "manager"
    ENABLEMENT = "enablement"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    def includes(self, other: Role) -> bool:
        """True when this role has at least the rights of `other`."""
        return self.rank >= other.rank


ROLE_LABELS = {
    Role.REP: _l("Rep"),
    Role.MANAGER: _l("Manager"),
    Role.ENABLEMENT: _l("Enablement lead"),
    Role.ADMIN: _l("Admin"),
}


def enum_column(enum_cls: type[StrEnum], name: str):
    """A portable enum column storing the values (not the member names), checked by a constraint."""
    return Enum(enum_cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False,
                create_constraint=True, length=20, validate_strings=True)


class Team(Model):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[created_at]

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    members: Mapped[list[User]] = relationship(back_populates="team", foreign_keys="User.team_id",
                                               order_by="User.name")


class User(UserMixin, Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.REP)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    hired_on: Mapped[date | None]
    is_active_account: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    # not a column: the key of the signed-in browser (UserSession) this row was loaded for
    session_key = cast("str | None", None)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: the user's id and their browser's session key, so ending
        that UserSession ends both cookies, copies included."""
        return f"{self.id}:{self.session_key}"

    def has_role(self, role: Role) -> bool:
        """True when the user's role includes `role`."""
        return self.role.includes(role)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(Model):
    """One signed-in browser: its cookies name it, and it ends on logging out there, on logging out everywhere, on
    a new password, or at `expires_at` (REMEMBER_DAYS with "remember me", else the session lifetime)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the key the cookies carry
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginAddressWindow(Model):
    """Failed sign-ins from one client address since its window started (LOGIN_LOCK_MINUTES long)."""

    __tablename__ = "login_address_window"

    address: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(index=True)

class VoiceProfile(Model):
    """How a user sounds: the mean of their speaker embeddings (personal data: shown to them and to admins only,
    deleted with them, left out of exports unless asked). Built from their channel of stereo calls and from
    one-channel calls where someone confirmed which speaker they were."""

    __tablename__ = "voice_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian float32, unit length
    seconds: Mapped[float] = mapped_column(default=0.0)  # seconds of speech it is built from
    calls: Mapped[int] = mapped_column(default=0)  # calls it is built from
    call_ids: Mapped[list[Any]] = mapped_column(default=list)  # which: a call processed again is not counted twice
    model: Mapped[str] = mapped_column(String(200))  # the speaker model (SPEAKER_MODEL) of the vector
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    @property
    def minutes(self) -> int:
        """Minutes of speech it is built from, rounded (at least 1 once it exists)."""
        return max(1, round(self.seconds / 60))
