"""Accounts: creating, authenticating, editing users and teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from enable.audit import record
from enable.auth import sessions
from enable.auth.models import LoginAddressWindow, Role, Team, User, VoiceProfile
from enable.auth.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from enable.db import utcnow
from enable.display_names import clean_name
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
    name = clean_name(name)
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def create_user(*, email: str, name: str, password: str, role: Role = Role.REP, team: Team | None = None,
                hired_on: date | None = None, locale: str | None = None, actor: User | None = None) -> User:
    """Create an account; raise UserError for a taken email, weak password or bad input."""
    email = normalize_email(email)
    name = clean_name(name)
    if not name:
        raise UserError(_("A user needs a name."))
    if get_user_by_email(email) is not None:
        raise UserError(_("A user with the email %(email)s already exists.", email=email))
    check_password_strength(password)
    user = User(email=email, name=name, password_hash=hash_password(password), role=Role(role),
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
    name = clean_name(name)
    if not name:
        raise UserError(_("A user needs a name."))
    for field, value in (("name", name), ("email", email), ("role", Role(role)), ("team", team),
                         ("hired_on", hired_on), ("is_active_account", is_active), ("locale", locale)):
        if getattr(user, field) != value:
            changes[field] = str(value.name if isinstance(value, Team) else value)
            setattr(user, field, value)
    db.session.flush()
    if changes:
        record(actor, "user.update", user, changes)
    return user


def set_password(user: User, password: str, *, actor: User | None, keep_session: str | None = None) -> None:
    """Set a new password, lift any login throttle and end the user's sessions and remember-me cookies (but
    `keep_session`, the key of the browser an admin resets their own password from)."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    sessions.end_sessions(user, keep=keep_session)
    record(actor, "user.password_reset" if actor and actor.id != user.id else "user.password_change", user, {})


@dataclass
class SignIn:
    """A sign-in attempt already counted against its account and client address, awaiting the password check."""

    user: User | None
    address: str | None
    failures: int  # the account's failures counting this attempt (0 for an unknown email)
    now: datetime


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() // 60) + 1)


def _insert_for_dialect():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _count_address_attempt(address: str, now: datetime) -> None:
    """Count one more attempt from the address in one atomic statement (every process and thread sees the same
    count); raise LoginThrottled past LOGIN_ADDRESS_MAX_FAILURES within the window."""
    window = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    table = LoginAddressWindow.__table__
    db.session.execute(delete(LoginAddressWindow).where(LoginAddressWindow.window_started_at <= now - window,
                                                        LoginAddressWindow.address != address))
    expired = table.c.window_started_at <= now - window
    started = literal(now, LoginAddressWindow.window_started_at.type)
    stmt = (_insert_for_dialect()(table).values(address=address, failures=1, window_started_at=now)
            .on_conflict_do_update(index_elements=["address"], set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_started_at": case((expired, started), else_=table.c.window_started_at)})
            .returning(table.c.failures, table.c.window_started_at))
    failures, started_at = db.session.execute(stmt).one()
    if failures > current_app.config["LOGIN_ADDRESS_MAX_FAILURES"]:
        raise LoginThrottled(_("Too many failed sign-ins from your network. Try again in %(n)d minutes.",
                               n=_minutes_until(started_at + window, now)))


def _claim_account_attempt(user: User, now: datetime) -> int:
    """Count one more attempt at the account in one conditional UPDATE, so attempts made at once are each counted
    and only LOGIN_MAX_FAILURES of them are checked; the one reaching it locks the account. Raise LoginThrottled
    while it is locked."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    lock_ends = literal(now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"]), User.locked_until.type)
    lock_passed = and_(User.locked_until.is_not(None), User.locked_until <= now)
    failures = case((lock_passed, 1), else_=User.failed_logins + 1)
    stmt = (update(User).where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
            .values(failed_logins=failures, locked_until=case((failures >= limit, lock_ends), else_=None))
            .returning(User.failed_logins).execution_options(synchronize_session=False))
    counted = db.session.execute(stmt).scalar()
    db.session.expire(user, ["failed_logins", "locked_until"])
    if counted is None:
        raise LoginThrottled(_("Too many failed attempts. Try again in %(n)d minutes.",
                               n=_minutes_until(user.locked_until or now, now)))
    return counted


def begin_sign_in(email: str, address: str | None, now: datetime | None = None) -> SignIn:
    """Count a sign-in attempt against the client address and the account before the (slow) password check;
    raise LoginThrottled when either is past its limit. The caller commits, so that the count is seen at once."""
    now = now or utcnow()
    if address:
        _count_address_attempt(address, now)
    user = get_user_by_email(email)
    failures = _claim_account_attempt(user, now) if user is not None else 0
    return SignIn(user, address, failures, now)


def finish_sign_in(attempt: SignIn, password: str) -> User | None:
    """Check the password of a counted attempt: the user when right (their counts undone), else None."""
    user = attempt.user
    if user is None:
        verify_password(DUMMY_HASH, password)  # a missing account takes as long as a wrong password
        return None
    if not verify_password(user.password_hash, password):
        if attempt.failures == current_app.config["LOGIN_MAX_FAILURES"]:
            record(None, "user.login_throttled", user, {})
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = attempt.now
    if attempt.address:
        db.session.execute(update(LoginAddressWindow).where(LoginAddressWindow.address == attempt.address,
                                                            LoginAddressWindow.failures > 0)
                           .values(failures=LoginAddressWindow.failures - 1))
    return user


def authenticate(email: str, password: str, now: datetime | None = None, address: str | None = None) -> User | None:
    """Return the user for valid credentials; count attempts and throttle repeated failures (in one transaction:
    the sign-in page commits between the two steps)."""
    return finish_sign_in(begin_sign_in(email, address, now), password)


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
    name = clean_name(name)
    if not name:
        raise UserError(_("A team needs a name."))
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
