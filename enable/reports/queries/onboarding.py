"""Report 5, onboarding: progress per track, overdue steps, and ramp (days from hire to first certification and to
first won deal).

Read-only: progress is what is recorded (step completions and finished assignments), as the learning pages last
brought it up to date; this report never recomputes it. The dates choose the cohort: assignments started and people
hired in the range. Only active accounts' assignments count; ramp keeps everyone hired, departed or not.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable.auth.models import Team, User
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.i18n import percent_text
from enable.learning import certifications, tracks
from enable.learning.models import Assignment, Track
from enable.reports.charts import HBarChart, Tick, hbar_chart
from enable.reports.filters import Scope
from enable.reports.tables import Column, Table, count, decimal1, pct

CHART_PEOPLE = 20  # the ramp charts show the most recent hires; the table has everyone


@dataclass(frozen=True)
class AssignmentFigures:
    """One person's assignment of one track, as recorded: steps done, percent (rounded down), steps overdue today."""

    person: str
    team: str
    track: str
    started_on: date
    done: int
    total: int
    percent: int
    overdue: int
    completed_on: date | None


@dataclass
class TrackFigures:
    """One track over the assignments in scope."""

    track_id: int
    title: str
    assigned: int = 0
    completed: int = 0
    steps_done: int = 0
    steps_total: int = 0
    overdue: int = 0  # steps overdue today, over all its open assignments
    people_overdue: int = 0  # open assignments with at least one overdue step
    days_to_complete: list[int] = field(default_factory=list)

    @property
    def completed_share(self) -> float | None:
        return self.completed / self.assigned if self.assigned else None

    @property
    def steps_share(self) -> float | None:
        return self.steps_done / self.steps_total if self.steps_total else None

    @property
    def mean_days_to_complete(self) -> float | None:
        return statistics.fmean(self.days_to_complete) if self.days_to_complete else None


@dataclass(frozen=True)
class RampFigures:
    """One person hired: days from the hire date to their first certification and to their first won deal."""

    user_id: int
    name: str
    team: str
    hired_on: date
    certified_on: date | None
    days_to_certification: int | None
    first_won_on: date | None
    days_to_first_win: int | None


@dataclass(frozen=True)
class Middle:
    """The median and mean of some day counts, and how many there are."""

    median: float | None
    mean: float | None
    n: int

    @classmethod
    def of(cls, values: list[int]) -> Middle:
        if not values:
            return cls(None, None, 0)
        return cls(float(statistics.median(values)), statistics.fmean(values), len(values))


@dataclass(frozen=True)
class OnboardingReport:
    today: date
    tracks: list[TrackFigures]
    assignments: list[AssignmentFigures]
    ramp: list[RampFigures]

    @property
    def overdue(self) -> int:
        return sum(t.overdue for t in self.tracks)

    @property
    def to_certification(self) -> Middle:
        return Middle.of([r.days_to_certification for r in self.ramp if r.days_to_certification is not None])

    @property
    def to_first_win(self) -> Middle:
        return Middle.of([r.days_to_first_win for r in self.ramp if r.days_to_first_win is not None])

    def tables(self) -> dict[str, Table]:
        per_track = Table("tracks", _("Progress per track"), [
            Column(_("Track"), wide=True), Column(_("Assigned"), True), Column(_("Completed"), True),
            Column(_("Completed %"), True), Column(_("Steps done"), True), Column(_("Steps assigned"), True),
            Column(_("Steps done %"), True), Column(_("Overdue steps"), True),
            Column(_("People with overdue steps"), True), Column(_("Avg days to complete"), True),
        ])
        for t in self.tracks:
            per_track.add([t.title, count(t.assigned), count(t.completed), pct(t.completed_share),
                           count(t.steps_done), count(t.steps_total), pct(t.steps_share), count(t.overdue),
                           count(t.people_overdue), decimal1(t.mean_days_to_complete)])
        people = Table("assignments", _("Progress per person"), [
            Column(_("Person")), Column(_("Team")), Column(_("Track"), wide=True), Column(_("Started on")),
            Column(_("Steps done"), True), Column(_("Steps"), True), Column(_("Progress %"), True),
            Column(_("Overdue steps"), True), Column(_("Completed on")),
        ])
        for a in self.assignments:
            people.add([a.person, a.team, a.track, a.started_on.isoformat(), count(a.done), count(a.total),
                        count(a.percent), count(a.overdue), a.completed_on.isoformat() if a.completed_on else ""])
        ramp = Table("ramp", _("Ramp per person"), [
            Column(_("Person")), Column(_("Team")), Column(_("Hired on")), Column(_("First certified on")),
            Column(_("Days to first certification"), True), Column(_("First won deal closed on")),
            Column(_("Days to first won deal"), True),
        ])
        for r in self.ramp:
            ramp.add([r.name, r.team, r.hired_on.isoformat(), r.certified_on.isoformat() if r.certified_on else "",
                      count(r.days_to_certification), r.first_won_on.isoformat() if r.first_won_on else "",
                      count(r.days_to_first_win)])
        return {t.name: t for t in (per_track, people, ramp)}

    def chart(self) -> HBarChart:
        """Share of assigned steps done per track, in percent on a 0–100 % axis."""
        return percent_bars([(t.title, 100 * (t.steps_share or 0.0)) for t in self.tracks])

    def _recent(self) -> list[RampFigures]:
        return sorted(self.ramp, key=lambda r: r.hired_on, reverse=True)[:CHART_PEOPLE]

    def certification_chart(self) -> HBarChart:
        """Days from hire to first certification, one bar per certified person (most recent hires)."""
        return hbar_chart([(r.name, r.days_to_certification) for r in self._recent()
                           if r.days_to_certification is not None])

    def first_win_chart(self) -> HBarChart:
        """Days from hire to first won deal, one bar per person with one (most recent hires)."""
        return hbar_chart([(r.name, r.days_to_first_win) for r in self._recent() if r.days_to_first_win is not None])


def percent_bars(items: list[tuple[str, float]]) -> HBarChart:
    """Horizontal bars of percentages drawn against a full 0–100 % axis (not stretched to the largest value),
    labelled in the request's locale (12.5% in English, 12,5 % in Russian)."""
    chart = hbar_chart(items, value_format=lambda v: percent_text(v / 100, 1), integer=False)
    plot = chart.plot
    bars = tuple(replace(b, width=plot.width * min(max(b.value, 0.0), 100.0) / 100) for b in chart.bars)
    ticks = tuple(Tick(plot.left + plot.width * k / 100, percent_text(k / 100, 0)) for k in range(0, 101, 20))
    return replace(chart, bars=bars, ticks=ticks)


def _team_names() -> dict[int, str]:
    return dict(db.session.execute(select(Team.id, Team.name)).all())


def _assignments(scope: Scope, today: date, teams: dict[int, str]) -> tuple[list[TrackFigures],
                                                                                list[AssignmentFigures]]:
    stmt = (select(Assignment).join(User, User.id == Assignment.user_id)
            .where(User.is_active_account.is_(True))
            .options(selectinload(Assignment.track).selectinload(Track.steps), selectinload(Assignment.completions),
                     selectinload(Assignment.user))
            .order_by(Assignment.started_on, Assignment.id))
    if scope.start:
        stmt = stmt.where(Assignment.started_on >= scope.start)
    if scope.end:
        stmt = stmt.where(Assignment.started_on <= scope.end)
    members = scope.member_ids()
    if members is not None:
        stmt = stmt.where(Assignment.user_id.in_(members))
    per_track: dict[int, TrackFigures] = {}
    rows = []
    for a in db.session.scalars(stmt):
        progress = tracks.assignment_progress(a, today)  # pure: reads the recorded completions
        finished = a.completed_at is not None
        overdue = 0 if finished else progress.overdue  # a finished track owes nothing, even if steps were added
        t = per_track.setdefault(a.track_id, TrackFigures(a.track_id, a.track.title))
        t.assigned += 1
        t.steps_done += progress.done
        t.steps_total += progress.total
        t.overdue += overdue
        t.people_overdue += overdue > 0
        completed_on = a.completed_at.astimezone(UTC).date() if a.completed_at is not None else None
        if completed_on is not None:
            t.completed += 1
            t.days_to_complete.append((completed_on - a.started_on).days)
        rows.append(AssignmentFigures(a.user.name, teams.get(a.user.team_id or 0, ""), a.track.title, a.started_on,
                                      progress.done, progress.total, progress.percent, overdue, completed_on))
    rows.sort(key=lambda r: (r.person.lower(), r.track.lower(), r.started_on))
    return sorted(per_track.values(), key=lambda t: t.title.lower()), rows


def _ramp(scope: Scope, teams: dict[int, str]) -> list[RampFigures]:
    stmt = select(User.id).where(User.hired_on.is_not(None))
    if scope.start:
        stmt = stmt.where(User.hired_on >= scope.start)
    if scope.end:
        stmt = stmt.where(User.hired_on <= scope.end)
    members = scope.member_ids()
    if members is not None:
        stmt = stmt.where(User.id.in_(members))
    ids = list(db.session.scalars(stmt))
    if not ids:
        return []
    first_win = {owner_id: day for owner_id, day in db.session.execute(
        select(Deal.owner_id, func.min(Deal.close_on)).join(User, User.id == Deal.owner_id).where(
            Deal.owner_id.in_(ids), Deal.outcome == DealOutcome.WON, Deal.close_on >= User.hired_on)
        .group_by(Deal.owner_id))}  # a deal won before the hire date is no part of the ramp
    team_of = dict(db.session.execute(select(User.id, User.team_id).where(User.id.in_(ids))).all())
    rows = []
    for r in certifications.ramp(ids):
        if r.hired_on is None:  # ramp() lists people with a hire date only
            continue
        won_on = first_win.get(r.user_id)
        rows.append(RampFigures(
            r.user_id, r.name, teams.get(team_of.get(r.user_id) or 0, ""), r.hired_on,
            r.certified_at.astimezone(UTC).date() if r.certified_at is not None else None, r.days,
            won_on, (won_on - r.hired_on).days if won_on is not None else None))
    return rows


def onboarding(scope: Scope, today: date) -> OnboardingReport:
    """Progress per track and per person (overdue counted on `today`), and ramp per person hired in the scope."""
    teams = _team_names()
    per_track, assignments = _assignments(scope, today, teams)
    return OnboardingReport(today, per_track, assignments, _ramp(scope, teams))
