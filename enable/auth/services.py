"""Accounts: creating, authenticating, editing users and teams."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from enable.audit import record
from enable.auth.models import Role, Team, User, VoiceProfile
from enable.auth.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from enable.db import utcnow
from enable.errors import NotAllowed, UserError
from enable.extensions import db


class LoginThrottled(UserError):
    """Too many failed logins for this account; wait before trying again."""

    status_code = 429


def normalize_email(email: str) -> str:
    """Validate an email address and return it lower-cased; raise UserError when invalid."""
    try:
        return validate_email(email.strip(), check_deliverability=False, test_environment=True,
                              globally_deliverable=False).normalized.lower()
    except EmailNotValidError as e:
        raise UserError(_("'%(email)s' is not a valid email address: %(why)s", email=email, why=str(e))) from e


def check_password_strength(password: str) -> None:
    """Raise UserError when the password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(_("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))


def get_user_by_email(email: str) -> User | None:
    """The user with this email (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def get_or_create_team(name: str) -> Team:
    """The team with this name, created when missing."""
    team = db.session.scalar(select(Team).where(Team.name == name.strip()))
    if team is None:
        team = Team(name=name.strip())
        db.session.add(team)
        db.session.flush()
    return team


def create_user(*, email: str, name: str, password: str, role: Role = Role.REP, team: Team | None = None,
                hired_on: date | None = None, locale: str | None = None, actor: User | None = None) -> User:
    """Create an account; raise UserError for a taken email, weak password or bad input."""
    email = normalize_email(email)
    if not name.strip():
        raise UserError(_("A user needs a name."))
    if get_user_by_email(email) is not None:
        raise UserError(_("A user with the email %(email)s already exists.", email=email))
    check_password_strength(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=Role(role),
                team=team, hired_on=hired_on, locale=locale)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, {"email": email, "role": user.role.value})
    return user


def update_user(user: User, *, actor: User, name: str, email: str, role: Role, team: Team | None,
                hired_on: date | None, is_active: bool, locale: str | None = None) -> User:
    """Apply an admin's edit of a user; an admin cannot demote or deactivate themselves."""
    email = normalize_email(email)
    other = get_user_by_email(email)
    if other is not None and other.id != user.id:
        raise UserError(_("A user with the email %(email)s already exists.", email=email))
    if user.id == actor.id and (Role(role) != user.role or not is_active):
        raise UserError(_("You cannot change your own role or deactivate yourself; ask another admin."))
    changes = {}
    for field, value in (("name", name.strip()), ("email", email), ("role", Role(role)), ("team", team),
                         ("hired_on", hired_on), ("is_active_account", is_active), ("locale", locale)):
        if getattr(user, field) != value:
            changes[field] = str(value.name if isinstance(value, Team) else value)
            setattr(user, field, value)
    db.session.flush()
    if changes:
        record(actor, "user.update", user, changes)
    return user


def set_password(user: User, password: str, *, actor: User | None) -> None:
    """Set a new password and lift any login throttle."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record(actor, "user.password_reset" if actor and actor.id != user.id else "user.password_change", user, {})


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Return the user for valid credentials; count failures and throttle repeated ones."""
    now = now or utcnow()
    user = get_user_by_email(email)
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginThrottled(_("Too many failed attempts. Try again in %(n)d minutes.", n=minutes))
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            record(None, "user.login_throttled", user, {})
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def list_users() -> list[User]:
    """Every user, by name."""
    return list(db.session.scalars(select(User).order_by(User.name)))


def list_teams() -> list[Team]:
    """Every team, by name."""
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team_of(manager: User) -> list[User]:
    """The members of the teams a manager manages (or of their own team)."""
    teams = db.session.scalars(select(Team).where(Team.manager_id == manager.id)).all()
    team_ids = {t.id for t in teams} | ({manager.team_id} if manager.team_id else set())
    if not team_ids:
        return []
    return list(db.session.scalars(select(User).where(User.team_id.in_(team_ids)).order_by(User.name)))


def save_team(team: Team | None, *, name: str, manager_id: int | None, actor: User) -> Team:
    """Create or rename a team and set its manager; raise UserError for a taken name or unknown manager."""
    name = name.strip()
    clash = db.session.scalar(select(Team).where(Team.name == name))
    if clash is not None and clash is not team:
        raise UserError(_("A team named %(name)s already exists.", name=name))
    manager = db.session.get(User, manager_id) if manager_id else None
    if manager_id and (manager is None or not manager.has_role(Role.MANAGER)):
        raise UserError(_("The chosen manager is not a manager."))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
    team.name = name
    team.manager = manager
    db.session.flush()
    record(actor, "team.save", team, {"name": name, "manager_id": manager_id})
    return team


# Voice profiles (personal data: their owner and admins see them) ----------------------------------------------


def voice_profile(user_id: int | None) -> VoiceProfile | None:
    """The voice profile of a user, if they have one."""
    if user_id is None:
        return None
    return db.session.scalar(select(VoiceProfile).where(VoiceProfile.user_id == user_id))


def delete_voice_profile(owner: User, actor: User) -> bool:
    """Delete a user's voice profile (by themselves or an admin); True when there was one. It is rebuilt from
    their later stereo calls and confirmations."""
    if actor.id != owner.id and not actor.has_role(Role.ADMIN):
        raise NotAllowed(_("Only the owner of a voice profile and admins can delete it."))
    profile = voice_profile(owner.id)
    if profile is None:
        return False
    db.session.delete(profile)
    record(actor, "voice_profile.delete", owner, {"user_id": owner.id})
    db.session.flush()
    return True
