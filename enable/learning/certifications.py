"""Certifications: awarded the moment their requirements are met, expiring, renewed, and re-attested.

A renewal needs fresh evidence: once a person holds an award, only what they do after it was awarded and after its
expiring window opened (EXPIRING_DAYS before expiry) counts towards the next one. Ramp (hire date to first
certification) is read from the awards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable import audit, events
from enable.auth.models import User
from enable.database import lock_row
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.learning import refs, rules
from enable.learning.models import (
    EXPIRING_DAYS,
    AckTask,
    Assignment,
    AwardStatus,
    Certification,
    CertificationAward,
    CertificationRequirement,
    QuizAttempt,
    RequirementKind,
    Signoff,
    StepKind,
    TrackStep,
)


class NotFound(UserError):
    status_code = 404


@dataclass(frozen=True)
class RequirementState:
    """One requirement of a certification for one person: met when, and by what."""

    requirement: CertificationRequirement
    met_at: datetime | None
    evidence_id: int | None


@dataclass(frozen=True)
class Ramp:
    """Days from a person's hire date to their first certification."""

    user_id: int
    name: str
    hired_on: date | None
    certified_at: datetime | None
    days: int | None


def list_certifications() -> list[Certification]:
    """Every certification with its requirements, by title."""
    return list(db.session.scalars(select(Certification).options(
        selectinload(Certification.requirements).selectinload(CertificationRequirement.track),
        selectinload(Certification.requirements).selectinload(CertificationRequirement.quiz),
    ).order_by(Certification.title)))


def latest_award(user: User, certification: Certification) -> CertificationAward | None:
    """The user's most recent award of the certification."""
    return db.session.scalar(select(CertificationAward).where(
        CertificationAward.user_id == user.id, CertificationAward.certification_id == certification.id)
        .order_by(CertificationAward.awarded_at.desc(), CertificationAward.id.desc()).limit(1))


def counts_after(award: CertificationAward | None) -> datetime | None:
    """Evidence must be later than this to count towards a (new) award; None: anything counts."""
    if award is None:
        return None
    return max(award.awarded_at, award.expires_at - timedelta(days=EXPIRING_DAYS))


def _after(column: Any, since: datetime | None) -> Any:
    return column > since if since is not None else column.is_not(None)


def requirement_state(user: User, req: CertificationRequirement, since: datetime | None) -> RequirementState:
    """When the user first met the requirement after `since`."""
    row: Any
    if req.kind == RequirementKind.TRACK:
        row = db.session.execute(select(Assignment.id, Assignment.completed_at).where(
            Assignment.user_id == user.id, Assignment.track_id == req.track_id,
            _after(Assignment.completed_at, since)).order_by(Assignment.completed_at).limit(1)).first()
    elif req.kind == RequirementKind.QUIZ:
        attempts = db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.user_id == user.id, QuizAttempt.quiz_id == req.quiz_id,
            _after(QuizAttempt.submitted_at, since)).order_by(QuizAttempt.submitted_at))
        attempt = next((a for a in attempts if a.scored_at_least(req.needed_score)), None)
        row = (attempt.id, attempt.submitted_at) if attempt else None
    else:
        row = db.session.execute(select(Signoff.id, Signoff.given_at).where(
            Signoff.user_id == user.id, Signoff.requirement_id == req.id, _after(Signoff.given_at, since))
            .order_by(Signoff.given_at).limit(1)).first()
    return RequirementState(req, row[1] if row else None, row[0] if row else None)


def requirement_states(user: User, certification: Certification) -> list[RequirementState]:
    """Each requirement for the user's next award (fresh evidence only once they hold one)."""
    since = counts_after(latest_award(user, certification))
    return [requirement_state(user, req, since) for req in certification.requirements]


def evaluate(user: User, now: datetime) -> list[CertificationAward]:
    """Award every certification whose requirements the user has now met; each dated when the last one was met.

    A certification held and not yet in its expiring window is left alone; in the window or after expiry, meeting
    the requirements again (with evidence newer than the award) renews it as a new award.
    """
    made = []
    for cert in list_certifications():
        if not cert.requirements:
            continue
        latest = latest_award(user, cert)
        if latest is not None and latest.status(now) == AwardStatus.VALID:
            continue
        states = [requirement_state(user, req, counts_after(latest)) for req in cert.requirements]
        met_at = rules.all_met_at(s.met_at for s in states)
        if met_at is None:
            continue
        # a concurrent request (a sign-off given while a quiz is submitted) may be awarding it too: wait, look again
        lock_row(user)
        fresh = latest_award(user, cert)
        if fresh is not None and (latest is None or fresh.id != latest.id):
            continue
        evidence = {s.requirement.kind.value + ":" + str(s.requirement.id): s.evidence_id for s in states}
        award = CertificationAward(certification=cert, user=user, awarded_at=met_at,
                                   expires_at=met_at + timedelta(days=cert.valid_days), evidence=evidence)
        db.session.add(award)
        made.append(award)
        audit.record(None, "certification.award", award, {"user_id": user.id, "certification": cert.slug}, at=now)
    db.session.flush()
    for award in made:
        events.emit(events.CERTIFICATION_AWARDED, award_event(award))  # sent when the caller commits
    return made


def award_event(award: CertificationAward) -> dict[str, Any]:
    """What a certification webhook tells about an award."""
    return {"award_id": award.id, "certification": award.certification.slug, "title": award.certification.title,
            "user_id": award.user_id, "user_email": award.user.email, "awarded_at": award.awarded_at.isoformat(),
            "expires_at": award.expires_at.isoformat()}


def announce_expired(now: datetime, window: timedelta = timedelta(days=2)) -> int:
    """Emit certification.expired for each latest award that expired within `window` before `now` (once per award:
    the event's key); return how many awards were considered."""
    query = (select(CertificationAward).where(CertificationAward.expires_at <= now,
                                              CertificationAward.expires_at > now - window)
             .options(selectinload(CertificationAward.certification), selectinload(CertificationAward.user)))
    expired = [a for a in db.session.scalars(query)
               if (latest := latest_award(a.user, a.certification)) is not None and latest.id == a.id]
    for award in expired:
        events.emit(events.CERTIFICATION_EXPIRED, award_event(award), key=f"certification.expired:{award.id}")
    return len(expired)


def awards_of(user: User) -> list[CertificationAward]:
    """The user's latest award of each certification they ever held, by title."""
    awards = db.session.scalars(select(CertificationAward).where(CertificationAward.user_id == user.id)
                                .options(selectinload(CertificationAward.certification),
                                         selectinload(CertificationAward.ack_tasks))
                                .order_by(CertificationAward.awarded_at.desc(), CertificationAward.id.desc()))
    latest: dict[int, CertificationAward] = {}
    for award in awards:
        latest.setdefault(award.certification_id, award)
    return sorted(latest.values(), key=lambda a: a.certification.title)


def latest_awards_for(user_ids: list[int]) -> dict[int, list[CertificationAward]]:
    """Each user's latest award per certification (for the team view)."""
    found: dict[int, dict[int, CertificationAward]] = {uid: {} for uid in user_ids}
    if user_ids:
        for award in db.session.scalars(
                select(CertificationAward).where(CertificationAward.user_id.in_(user_ids))
                .options(selectinload(CertificationAward.certification), selectinload(CertificationAward.ack_tasks))
                .order_by(CertificationAward.awarded_at.desc(), CertificationAward.id.desc())):
            found[award.user_id].setdefault(award.certification_id, award)
    return {uid: sorted(by_cert.values(), key=lambda a: a.certification.title) for uid, by_cert in found.items()}


def visible_award(viewer: User, award_id: int) -> CertificationAward:
    """An award the viewer may see (their own, their team's as manager, anyone's as enablement), else NotFound."""
    from enable.learning.tracks import can_view_person

    award = db.session.get(CertificationAward, award_id)
    if award is None or not can_view_person(viewer, award.user):
        raise NotFound(_("This certificate does not exist or is not yours to see."))
    return award


def pending_signoffs(person: User, now: datetime) -> list[CertificationRequirement]:
    """Sign-off requirements the person still needs for certifications they do not hold as valid."""
    pending = []
    for cert in list_certifications():
        latest = latest_award(person, cert)
        if latest is not None and latest.status(now) == AwardStatus.VALID:
            continue
        since = counts_after(latest)
        pending += [req for req in cert.requirements if req.kind == RequirementKind.SIGNOFF
                    and requirement_state(person, req, since).met_at is None]
    return pending


def give_signoff(manager: User, person: User, requirement: CertificationRequirement, now: datetime) -> Signoff:
    """The person's manager signs off one certification requirement; the certification may follow at once."""
    from enable.learning.tracks import manager_of

    if requirement.kind != RequirementKind.SIGNOFF:
        raise NotFound(_("This requirement is not a sign-off."))
    boss = manager_of(person)
    if boss is None or boss.id != manager.id:
        raise NotAllowed(_("Only %(name)s's manager can give this sign-off.", name=person.name))
    signoff = Signoff(user_id=person.id, requirement_id=requirement.id, given_by_id=manager.id, given_at=now)
    db.session.add(signoff)
    db.session.flush()
    audit.record(manager, "certification.signoff", requirement.certification,
                 {"user_id": person.id, "requirement": requirement.text}, at=now)
    evaluate(person, now)
    return signoff


def certifications_using_playbook(playbook_id: int) -> list[Certification]:
    """Certifications that require a track with a step reading this playbook."""
    track_ids = select(TrackStep.track_id).where(TrackStep.kind == StepKind.PLAYBOOK,
                                                 TrackStep.item_id == playbook_id)
    return list(db.session.scalars(select(Certification).join(Certification.requirements).where(
        CertificationRequirement.kind == RequirementKind.TRACK,
        CertificationRequirement.track_id.in_(track_ids)).distinct()))


def on_playbook_changed(playbook_id: int, version_id: int | None, requires_ack: bool, now: datetime) -> list[AckTask]:
    """A playbook got a new version: if its editor marked it as one people must acknowledge, give every holder of a
    certification depending on it an acknowledge task (and a notification); the certification needs attention
    until they acknowledge. Returns the tasks created."""
    from enable.notifications import in_locale_of, notify
    from enable.playbooks.models import Playbook

    if not requires_ack:
        return []
    playbook = db.session.get(Playbook, playbook_id)
    made = []
    for cert in certifications_using_playbook(playbook_id):
        awards = db.session.scalars(select(CertificationAward).where(CertificationAward.certification_id == cert.id)
                                    .options(selectinload(CertificationAward.ack_tasks)))
        for award in [a for a in _latest_only(awards) if a.expires_at > now]:
            task = next((t for t in award.ack_tasks if t.playbook_id == playbook_id and t.acknowledged_at is None),
                        None)
            if task is not None:
                task.playbook_version_id = version_id
                continue
            task = AckTask(user_id=award.user_id, award=award, playbook_id=playbook_id,
                           playbook_version_id=version_id, created_at=now)
            db.session.add(task)
            db.session.flush()
            made.append(task)
            title = playbook.title if playbook is not None else str(playbook_id)
            with in_locale_of(award.user):  # the holder reads it (and its mail) in their language
                message = _("“%(playbook)s” changed. Acknowledge the change to keep “%(cert)s” in good standing.",
                            playbook=title, cert=cert.title)
            notify(award.user, "playbook_ack", message, refs.path_for("learning.ack", task_id=task.id), now=now)
    db.session.flush()
    return made


def _latest_only(awards: Any) -> list[CertificationAward]:
    """Keep each user's newest award (a renewal supersedes the award before it)."""
    newest: dict[int, CertificationAward] = {}
    for award in awards:
        kept = newest.get(award.user_id)
        if kept is None or (award.awarded_at, award.id) > (kept.awarded_at, kept.id):
            newest[award.user_id] = award
    return list(newest.values())


def open_ack_tasks(user: User) -> list[AckTask]:
    """The user's acknowledge tasks still waiting."""
    return list(db.session.scalars(select(AckTask).where(AckTask.user_id == user.id, AckTask.acknowledged_at.is_(None))
                                   .options(selectinload(AckTask.award).selectinload(CertificationAward.certification))
                                   .order_by(AckTask.created_at)))


def visible_ack(user: User, task_id: int) -> AckTask:
    """One of the user's own acknowledge tasks, else NotFound."""
    task = db.session.get(AckTask, task_id)
    if task is None or task.user_id != user.id:
        raise NotFound(_("This acknowledgement is not yours or does not exist."))
    return task


def acknowledge(user: User, task_id: int, now: datetime) -> AckTask:
    """The holder acknowledges the playbook change; the certification no longer needs attention for it."""
    task = visible_ack(user, task_id)
    if task.acknowledged_at is None:
        task.acknowledged_at = now
        audit.record(user, "certification.acknowledge", task.award,
                     {"playbook_id": task.playbook_id, "version_id": task.playbook_version_id}, at=now)
        db.session.flush()
    return task


def ramp(user_ids: list[int] | None = None) -> list[Ramp]:
    """Days from hire date to first certification per person (everyone with a hire date, or the given users).

    Only awards on or after the hire date count: one from before (a transfer, an imported history) is no ramp.
    """
    query = select(User).where(User.hired_on.is_not(None)).order_by(User.name)
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    people = list(db.session.scalars(query))
    awards: dict[int, list[datetime]] = {}
    for user_id, awarded in db.session.execute(
        select(CertificationAward.user_id, CertificationAward.awarded_at)
        .where(CertificationAward.user_id.in_([p.id for p in people])).order_by(CertificationAward.awarded_at)
    ):
        awards.setdefault(user_id, []).append(awarded)
    rows = []
    for user in people:
        assert user.hired_on is not None
        at = next((a for a in awards.get(user.id, []) if a.astimezone(UTC).date() >= user.hired_on), None)
        days = (at.astimezone(UTC).date() - user.hired_on).days if at is not None else None
        rows.append(Ramp(user.id, user.name, user.hired_on, at, days))
    return rows


def holders(certification: Certification, now: datetime) -> list[CertificationAward]:
    """Each person's newest award of the certification (expired ones included), soonest expiry first."""
    awards = db.session.scalars(select(CertificationAward).where(
        CertificationAward.certification_id == certification.id)
        .options(selectinload(CertificationAward.user), selectinload(CertificationAward.ack_tasks)))
    return sorted(_latest_only(awards), key=lambda a: a.expires_at)
