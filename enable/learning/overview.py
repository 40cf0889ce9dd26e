"""What the learning pages show, assembled from the services: the learner's page, a track, the team view.

Each builder first brings progress up to date (sync_progress), so what is shown is current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from enable.auth import services as accounts
from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import certifications, refs, review, rules, tracks
from enable.learning.models import (
    AckTask,
    Assignment,
    AwardStatus,
    Certification,
    CertificationAward,
    CertificationRequirement,
    StepKind,
    Track,
    TrackStep,
)

REVIEW_WINDOW_DAYS = 30  # the team view counts reviews done in this many days


@dataclass(frozen=True)
class StepRow:
    """One step of an assignment as the learner sees it."""

    step: TrackStep
    title: str
    url: str | None  # where to do it; None for sign-offs and items that are gone
    due_on: date | None
    completed_at: datetime | None
    given_by: str | None  # who signed it off
    is_overdue: bool
    is_available: bool  # the item exists (a sign-off always is)
    item: refs.Item | None


@dataclass(frozen=True)
class AssignmentView:
    assignment: Assignment
    progress: rules.Progress
    steps: list[StepRow]

    @property
    def next_step(self) -> StepRow | None:
        return next((s for s in self.steps if s.completed_at is None), None)


@dataclass(frozen=True)
class AwardView:
    award: CertificationAward
    status: AwardStatus
    needs_attention: bool
    # Why it needs attention: the titles of the playbooks whose change waits to be acknowledged.
    changed_playbooks: tuple[str, ...] = ()

    @property
    def badge(self) -> str:
        """The badge class for the status."""
        if self.status == AwardStatus.EXPIRED:
            return "bad"
        return "warn" if self.needs_attention or self.status == AwardStatus.EXPIRING else "ok"


@dataclass
class LearnerView:
    """Everything on a person's learning page."""

    user: User
    assignments: list[AssignmentView]
    awards: list[AwardView]
    reviews_due: int
    ack_tasks: list[AckTask]
    pending_signoffs: list[CertificationRequirement] = field(default_factory=list)
    ramp: certifications.Ramp | None = None


@dataclass(frozen=True)
class MemberRow:
    """One person in the team view."""

    user: User
    assignments: list[AssignmentView]
    awards: list[AwardView]
    overdue: int
    reviews_done: int


def assignment_view(assignment: Assignment, today: date) -> AssignmentView:
    """An assignment's steps with their items, due dates and completions."""
    steps = assignment.track.steps
    items = refs.describe({(s.kind, s.item_id) for s in steps if s.item_id is not None})
    done = {c.step_id: c for c in assignment.completions}
    progress = tracks.assignment_progress(assignment, today)
    states = {s.step_id: s for s in progress.steps}
    rows = []
    for step in steps:
        item = items.get((step.kind, step.item_id)) if step.item_id is not None else None
        completion = done.get(step.id)
        rows.append(StepRow(
            step=step, title=step.title or (item.title if item else step.ref or ""),
            url=item.url if item else None, due_on=states[step.id].due_on,
            completed_at=completion.completed_at if completion else None,
            given_by=completion.given_by.name if completion and completion.given_by else None,
            is_overdue=states[step.id].is_overdue, is_available=step.kind == StepKind.SIGNOFF or item is not None,
            item=item))
    return AssignmentView(assignment, progress, rows)


@dataclass(frozen=True)
class EditorStep:
    """A step in the track editor: its title and whether its item exists."""

    step: TrackStep
    title: str
    item: refs.Item | None


def track_steps(track: Track) -> list[EditorStep]:
    """The track's steps for the editor (resolving references whose items now exist)."""
    tracks.resolve_pending(track.steps)
    items = refs.describe({(s.kind, s.item_id) for s in track.steps if s.item_id is not None})
    found = [(s, items.get((s.kind, s.item_id)) if s.item_id is not None else None) for s in track.steps]
    return [EditorStep(s, s.title or (item.title if item else s.ref or ""), item) for s, item in found]


def award_view(award: CertificationAward, now: datetime) -> AwardView:
    changed: tuple[str, ...] = ()
    if award.needs_attention:
        from enable.playbooks.models import Playbook  # as certifications.py: playbooks sit beside learning

        ids = sorted({t.playbook_id for t in award.ack_tasks if t.acknowledged_at is None})
        titles = dict(db.session.execute(select(Playbook.id, Playbook.title).where(Playbook.id.in_(ids))).all())
        changed = tuple(sorted({str(titles[i]) for i in ids if i in titles}, key=str.casefold))
    return AwardView(award, award.status(now), award.needs_attention, changed)


def awards_earned(user: User, at: datetime, now: datetime) -> list[AwardView]:
    """The user's awards earned at that moment (awards are dated when their last requirement was met, so a quiz
    attempt that completed a certification shares its time)."""
    return [award_view(a, now) for a in certifications.awards_of(user) if a.awarded_at == at]


def learner_view(user: User, now: datetime, *, with_signoffs: bool = False) -> LearnerView:
    """A person's tracks, certifications, reviews due and acknowledgements, after bringing progress up to date."""
    tracks.sync_progress(user, now)
    view = LearnerView(
        user=user,
        assignments=[assignment_view(a, now.date()) for a in tracks.assignments_of(user)],
        awards=[award_view(a, now) for a in certifications.awards_of(user)],
        reviews_due=review.due_count(user, now),
        ack_tasks=certifications.open_ack_tasks(user),
    )
    if with_signoffs:
        view.pending_signoffs = certifications.pending_signoffs(user, now)
        view.ramp = next(iter(certifications.ramp([user.id])), None)
    return view


def team_members(viewer: User) -> list[User]:
    """The people in a manager's team view: their team; for enablement and admins, every active rep and manager."""
    if viewer.has_role(Role.ENABLEMENT):
        return [u for u in accounts.list_users() if u.is_active and u.role in (Role.REP, Role.MANAGER)]
    return [u for u in accounts.team_of(viewer) if u.is_active and u.id != viewer.id]


def team_view(viewer: User, now: datetime) -> list[MemberRow]:
    """Per team member: progress per track, certifications with expiry, overdue steps, reviews done lately."""
    members = team_members(viewer)
    for member in members:
        tracks.sync_progress(member, now)
    ids = [m.id for m in members]
    awards = certifications.latest_awards_for(ids)
    done = review.reviews_done(ids, now - timedelta(days=REVIEW_WINDOW_DAYS))
    rows = []
    for member in members:
        views = [assignment_view(a, now.date()) for a in tracks.assignments_of(member)]
        rows.append(MemberRow(member, views, [award_view(a, now) for a in awards.get(member.id, [])],
                              sum(v.progress.overdue for v in views), done.get(member.id, 0)))
    return rows


@dataclass(frozen=True)
class TeamSummary:
    """The manager's home panel: people, overdue steps, certifications expiring or needing attention."""

    members: int
    overdue_steps: int
    expiring: int
    attention: int


def team_summary(viewer: User, now: datetime) -> TeamSummary:
    rows = team_view(viewer, now)
    awards = [a for r in rows for a in r.awards]
    return TeamSummary(len(rows), sum(r.overdue for r in rows),
                       sum(a.status != AwardStatus.VALID for a in awards),
                       sum(a.needs_attention for a in awards))


@dataclass(frozen=True)
class CertificationProgress:
    """A certification as a person sees it: what it needs, what they have met, and their latest award."""

    certification: Certification
    requirements: list[certifications.RequirementState]
    award: AwardView | None

    @property
    def met(self) -> int:
        return sum(r.met_at is not None for r in self.requirements)


def certification_progress(user: User, now: datetime) -> list[CertificationProgress]:
    """Every certification with the user's progress towards their next award."""
    latest = {a.certification_id: a for a in certifications.awards_of(user)}
    return [CertificationProgress(cert, certifications.requirement_states(user, cert),
                                  award_view(latest[cert.id], now) if cert.id in latest else None)
            for cert in certifications.list_certifications()]
