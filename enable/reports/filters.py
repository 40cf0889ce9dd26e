"""Report filters: a date range and a team, limited to the teams a manager leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, select
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from enable.auth.models import Role, Team, User
from enable.extensions import db
from enable.request_args import DayInBounds, parse_id


@dataclass(frozen=True)
class Scope:
    """What a report counts: days from start to end (inclusive; None = unbounded) and teams (None = every team)."""

    start: date | None = None
    end: date | None = None
    team_ids: frozenset[int] | None = None

    @property
    def start_at(self) -> datetime | None:
        """The first instant counted (UTC)."""
        return datetime.combine(self.start, time.min, UTC) if self.start else None

    @property
    def end_before(self) -> datetime | None:
        """The first instant no longer counted (UTC midnight after the end day)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC) if self.end else None

    def contains(self, day: date | None) -> bool:
        """True when the day is in the range (an unknown day only when the range is unbounded)."""
        if day is None:
            return self.start is None and self.end is None
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def member_ids(self) -> Select | None:
        """A SELECT of the ids of users in the scope's teams, or None for every user."""
        if self.team_ids is None:
            return None
        return select(User.id).where(User.team_id.in_(sorted(self.team_ids)))

    def time_conditions(self, column) -> list:
        """SQL conditions keeping a UTC timestamp column within the range."""
        conds = []
        if self.start_at is not None:
            conds.append(column >= self.start_at)
        if self.end_before is not None:
            conds.append(column < self.end_before)
        return conds


class FilterForm(FlaskForm):
    """The filter bar of every report (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional(), DayInBounds()])
    end = DateField(_l("To"), validators=[Optional(), DayInBounds()])
    team = SelectField(_l("Team"), choices=[], validate_choice=False, validators=[Optional()])


def allowed_team_ids(user: User) -> frozenset[int] | None:
    """The teams whose figures a user may read: every team (None) for enablement and admins, else their own."""
    if user.has_role(Role.ENABLEMENT):
        return None
    led = db.session.scalars(select(Team.id).where(Team.manager_id == user.id)).all()
    return frozenset(led) | (frozenset({user.team_id}) if user.team_id else frozenset())


@dataclass
class Filters:
    """The parsed filter form and the scope it gives."""

    form: FilterForm
    scope: Scope
    query: dict[str, str]  # the arguments to keep in links (CSV download, other tables)


def range_problem(start: date | None, end: date | None, *, today: date, max_days: int) -> str | None:
    """Why a report's date range is refused (the end before the start, or longer than max_days), else None.

    A range open at its end counts to today (or to its start, if that is later); one open at its start is
    every day until its end, which reports bound themselves (their per-period tables list at most max_days).
    """
    if start and end and end < start:
        return _("The end date is before the start date.")
    if start and ((end or max(today, start)) - start).days + 1 > max_days:
        return _("A report covers at most %(days)d days (%(years)s years); choose a shorter date range.",
                 days=max_days, years=format_decimal(round(max_days / 365.25, 1)))
    return None


def read_filters(args: MultiDict, user: User, *, today: date, default_days: int | None) -> Filters:
    """Parse the filter arguments: absent dates default to the last default_days; cleared dates mean unbounded.

    Every report page and the API read their dates here: days outside FIRST_DAY..LAST_DAY and ranges longer than
    REPORT_MAX_DAYS are field errors (the page shows them; the API answers 400), and the scope falls back to the
    report's default range.
    """
    allowed = allowed_team_ids(user)
    teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    if allowed is not None:
        teams = [t for t in teams if t.id in allowed]
    form = FilterForm(args)
    form.team.choices = ([("", _("All teams") if allowed is None else _("All my teams"))]
                         + [(str(t.id), t.name) for t in teams])
    valid = form.validate()
    if "start" not in args and "end" not in args and default_days is not None:
        form.start.data, form.end.data = today - timedelta(days=default_days - 1), today
    start, end = (form.start.data, form.end.data) if valid else (None, None)
    problem = range_problem(start, end, today=today, max_days=current_app.config["REPORT_MAX_DAYS"])
    if problem is not None:
        form.end.errors = [*form.end.errors, problem]
    if not valid or problem is not None:
        start, end = (today - timedelta(days=default_days - 1), today) if default_days is not None else (None, None)
    team_ids = allowed
    chosen = form.team.data or ""
    if (team_id := parse_id(chosen)) is not None and (allowed is None or team_id in allowed):
        team_ids = frozenset({team_id})
    elif chosen:
        form.team.errors = [*form.team.errors, _("Choose one of the listed teams.")]
        form.team.data = ""
    query = {"start": start.isoformat() if start else "", "end": end.isoformat() if end else "",
             "team": form.team.data or ""}
    return Filters(form, Scope(start, end, team_ids), query)
