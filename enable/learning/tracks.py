"""Tracks: editing them, assigning them (by hand or to new hires), and recording progress through their steps.

Completion of a step is read from what the person did since the assignment started: plays of a bite adding up to
90% of its length (usage events from the bite page's play beacon), a playbook read to its end, an asset opened, a
quiz passed, a sign-off by their manager. `sync_progress` turns those facts into StepCompletion rows dated when
each step was actually completed; pages call it, so progress is current wherever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth import services as accounts
from enable.auth.models import Role, Team, User
from enable.bites.models import Bite
from enable.database import lock_row
from enable.display_names import clean_name
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.i18n import default_language, language_tag
from enable.learning import certifications, refs, rules
from enable.learning.models import (
    Assignment,
    PlaybookRead,
    QuizAttempt,
    StepCompletion,
    StepKind,
    Track,
    TrackStep,
)
from enable.usage import UsageEvent, UsageKind, record_usage

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
NEW_HIRE_DAYS = 90  # a hire date older than this is an existing employee, not a new hire
ITEM_NOUNS = {StepKind.BITE: _l("bite"), StepKind.PLAYLIST: _l("playlist"), StepKind.PLAYBOOK: _l("playbook"),
              StepKind.ASSET: _l("asset"), StepKind.QUIZ: _l("quiz"), StepKind.SIGNOFF: _l("sign-off")}


class TrackInvalid(UserError):
    """A track or step edit that cannot be saved as asked."""

    status_code = 422


class NotFound(UserError):
    """Missing, or not visible to this user (indistinguishable on purpose)."""

    status_code = 404


def slugify(text: str) -> str:
    """A URL-safe slug from a title (letters outside a-z are dropped)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")
    return slug or "track"


def unique_slug(model: Any, base: str, own_id: int | None = None) -> str:
    slug, n = base, 2
    while (found := db.session.scalar(select(model.id).where(model.slug == slug))) is not None and found != own_id:
        slug, n = f"{base[:75]}-{n}", n + 1
    return slug


def unmark_other_defaults(track: Track) -> None:
    """Leave `track` the only default track of its language."""
    for other in db.session.scalars(select(Track).where(Track.is_default.is_(True), Track.id != track.id)):
        if other.language == track.language:
            other.is_default = False


def list_tracks() -> list[Track]:
    """Every track, with its steps, by title."""
    return list(db.session.scalars(select(Track).options(selectinload(Track.steps)).order_by(Track.title)))


def default_track(language: str | None = None) -> Track | None:
    """The track new hires who work in `language` get: the default track in that language, else the one in the
    site's default language, else any default track (None when no track is marked default)."""
    defaults = list(db.session.scalars(select(Track).where(Track.is_default.is_(True)).order_by(Track.id)))
    for wanted in (language_tag(language), default_language()):
        found = next((t for t in defaults if t.language == wanted), None)
        if found is not None:
            return found
    return defaults[0] if defaults else None


def save_track(track: Track | None, *, title: str, description: str, is_default: bool, actor: User | None,
               now: datetime, slug: str | None = None, language: str | None = None) -> Track:
    """Create or edit a track; marking it default unmarks any other default track of its language.

    `language` (a language tag; None: the site's default for a new track, unchanged for an existing one) is the
    language of its content: new hires get the default track of their own language.
    """
    title = clean_name(title)
    if not title:
        raise TrackInvalid(_("A track needs a title."))
    if slug is not None and not SLUG_RE.match(slug):
        raise TrackInvalid(_("A slug uses lower-case letters, digits, - and _ only."))
    if track is None:
        track = Track(slug=unique_slug(Track, slug or slugify(title)), title=title)
        db.session.add(track)
    else:
        track.updated_at = now
    track.title, track.description = title, description.strip()
    if language is not None or track.language is None:
        tag = language_tag(language) if language else default_language()
        if tag is None:
            raise TrackInvalid(_("Unknown language '%(language)s'; give a language tag such as en or ru.",
                                 language=language))
        track.language = tag
    if is_default:
        unmark_other_defaults(track)
    track.is_default = is_default
    db.session.flush()
    audit.record(actor, "track.save", track, {"title": title, "default": is_default, "language": track.language})
    return track


def add_step(track: Track, *, kind: StepKind, ref: str, title: str, due_days: int | None, actor: User | None,
             now: datetime) -> TrackStep:
    """Append a step; its reference must name an existing item (sign-offs name what the manager observes).

    An empty title shows the item's own title, kept current when the item is renamed.
    """
    ref, title = ref.strip(), clean_name(title)
    if due_days is not None and due_days < 0:
        raise TrackInvalid(_("A due day counts from the start of the track: 0 or more."))
    item_id = None
    if kind == StepKind.SIGNOFF:
        title = title or ref
        if not title:
            raise TrackInvalid(_("Say what the manager signs off, e.g. “Role-play the pricing talk track”."))
        ref = ""
    else:
        item_id = refs.resolve(kind, ref)
        if item_id is None:
            raise TrackInvalid(_("No %(kind)s matches “%(ref)s”; check the id, slug or name.",
                                 kind=ITEM_NOUNS[kind], ref=ref))
    step = TrackStep(track=track, position=len(track.steps), kind=kind, item_id=item_id, ref=ref or None,
                     title=title[:300], due_days=due_days)
    db.session.add(step)
    track.updated_at = now
    db.session.flush()
    audit.record(actor, "track.step_add", track, {"kind": kind.value, "ref": ref, "title": title})
    return step


def move_step(step: TrackStep, offset: int, now: datetime) -> None:
    """Move a step up (-1) or down (+1) in its track."""
    steps = list(step.track.steps)
    i = steps.index(step)
    j = min(max(i + offset, 0), len(steps) - 1)
    steps.insert(j, steps.pop(i))
    for position, s in enumerate(steps):
        s.position = position
    step.track.updated_at = now
    db.session.flush()


def delete_step(step: TrackStep, actor: User | None, now: datetime) -> None:
    """Remove a step (and its completions) from its track."""
    track = step.track
    track.steps.remove(step)
    for position, s in enumerate(track.steps):
        s.position = position
    track.updated_at = now
    db.session.flush()
    audit.record(actor, "track.step_delete", track, {"title": step.title})


def resolve_pending(steps: Iterable[TrackStep] | None = None) -> int:
    """Resolve steps whose content-file reference named an item that did not exist yet; returns how many now do."""
    if steps is None:
        steps = db.session.scalars(select(TrackStep).where(TrackStep.item_id.is_(None),
                                                           TrackStep.kind != StepKind.SIGNOFF,
                                                           TrackStep.ref.is_not(None)))
    resolved = 0
    for step in steps:
        if not step.is_resolved and step.ref:
            step.item_id = refs.resolve(step.kind, step.ref)
            resolved += step.item_id is not None
    db.session.flush()
    return resolved


def open_assignment(user: User, track: Track) -> Assignment | None:
    """The user's not yet completed assignment of the track."""
    return db.session.scalar(select(Assignment).where(Assignment.user_id == user.id, Assignment.track_id == track.id,
                                                      Assignment.completed_at.is_(None)))


def assign_track(track: Track, users: Iterable[User], *, start: date, actor: User | None, now: datetime,
                 automatic: bool = False) -> list[Assignment]:
    """Give the track to each user starting on `start`; users already working through it are skipped."""
    if not track.steps:
        raise TrackInvalid(_("Add steps to “%(title)s” before assigning it.", title=track.title))
    made = []
    for user in users:
        lock_row(user)  # two leads assigning the track at once give it once
        if open_assignment(user, track) is not None:
            continue
        assignment = Assignment(track=track, user=user, started_on=start, assigned_at=now, assigned_by=actor,
                                is_automatic=automatic)
        db.session.add(assignment)
        made.append(assignment)
    db.session.flush()
    for assignment in made:
        audit.record(actor, "track.assign", assignment.track,
                     {"user_id": assignment.user_id, "start": start.isoformat(), "automatic": automatic}, at=now)
    return made


def people_to_assign(user_ids: list[int], team_ids: list[int]) -> list[User]:
    """The chosen people and the active members of the chosen teams, each once."""
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    if team_ids:
        for team in db.session.scalars(select(Team).where(Team.id.in_(team_ids))):
            people.update({u.id: u for u in team.members if u.is_active})
    return list(people.values())


def assign_default_track(user: User, *, today: date | None = None, actor: User | None = None,
                         now: datetime | None = None) -> Assignment | None:
    """Give a rep with a recent hire date the default track, starting on the hire date (None when not applicable).

    A hire date more than NEW_HIRE_DAYS before today marks an existing employee being added, who is not onboarded.
    """
    now = now or datetime.now(UTC)
    today = today or now.date()
    track = default_track(user.locale)
    if (track is None or not track.steps or user.hired_on is None or user.role != Role.REP
            or user.hired_on < today - timedelta(days=NEW_HIRE_DAYS)):
        return None
    made = assign_track(track, [user], start=user.hired_on, actor=actor, now=now, automatic=True)
    return made[0] if made else None


def assignments_of(user: User) -> list[Assignment]:
    """The user's assignments, open ones first, newest first."""
    return list(db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id)
        .options(selectinload(Assignment.track).selectinload(Track.steps), selectinload(Assignment.completions))
        .order_by(Assignment.completed_at.is_not(None), Assignment.started_on.desc(), Assignment.id.desc())))


def assignment_progress(assignment: Assignment, today: date) -> rules.Progress:
    """Steps done of the track's steps, percent, and steps overdue on `today`."""
    completed = {c.step_id: c.completed_at for c in assignment.completions}
    return rules.progress([(s.id, s.due_on(assignment.started_on)) for s in assignment.track.steps], completed, today)


def can_view_person(viewer: User, person: User) -> bool:
    """People see their own learning; managers their team's; enablement and admins everyone's."""
    if viewer.id == person.id or viewer.has_role(Role.ENABLEMENT):
        return True
    return viewer.has_role(Role.MANAGER) and any(m.id == person.id for m in accounts.team_of(viewer))


def manager_of(person: User) -> User | None:
    """The manager of the person's team, who gives their sign-offs."""
    return person.team.manager if person.team is not None else None


def visible_assignment(viewer: User, assignment_id: int) -> Assignment:
    """An assignment the viewer may see, else NotFound."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can_view_person(viewer, assignment.user):
        raise NotFound(_("This track assignment does not exist or is not yours to see."))
    return assignment


def record_learning_view(user: User, playbook_id: int) -> UsageEvent:
    """Count one opening of a playbook on the learning reading page (a track step) as a view, so usage reports see
    it; the source says where it was read."""
    playbook = refs.playbook(playbook_id)
    if playbook is None or not playbook.is_active_content:
        raise NotFound(_("This playbook does not exist."))
    return record_usage(user, UsageKind.VIEW, "playbook", playbook.id, meta={"source": "track"})


def record_playbook_read(user: User, playbook_id: int, now: datetime) -> PlaybookRead | None:
    """Note that the user read the playbook to its end (once a day is enough), then update their progress."""
    if refs.playbook(playbook_id) is None:
        raise NotFound(_("This playbook does not exist."))
    day_start = datetime.combine(now.date(), time.min, tzinfo=UTC)
    if db.session.scalar(select(PlaybookRead.id).where(PlaybookRead.user_id == user.id,
                                                       PlaybookRead.playbook_id == playbook_id,
                                                       PlaybookRead.read_at >= day_start)) is not None:
        return None
    read = PlaybookRead(user_id=user.id, playbook_id=playbook_id, read_at=now)
    db.session.add(read)
    db.session.flush()
    sync_progress(user, now)
    return read


def sign_off_step(manager: User, assignment: Assignment, step_id: int, now: datetime) -> StepCompletion:
    """The person's manager confirms a sign-off step (e.g. a role-play they watched)."""
    step = next((s for s in assignment.track.steps if s.id == step_id), None)
    if step is None or step.kind != StepKind.SIGNOFF:
        raise NotFound(_("This sign-off step is not part of the track."))
    boss = manager_of(assignment.user)
    if boss is None or boss.id != manager.id:
        raise NotAllowed(_("Only %(name)s's manager can give this sign-off.", name=assignment.user.name))
    done = next((c for c in assignment.completions if c.step_id == step.id), None)
    if done is not None:
        return done
    completion = StepCompletion(assignment=assignment, step_id=step.id, completed_at=now, given_by=manager)
    db.session.add(completion)
    db.session.flush()
    audit.record(manager, "track.signoff", assignment.track, {"user_id": assignment.user_id, "step": step.title},
                 at=now)
    sync_progress(assignment.user, now)
    return completion


# Reading what people did ----------------------------------------------------------------------------------------


def _start(assignment: Assignment) -> datetime:
    return datetime.combine(assignment.started_on, time.min, tzinfo=UTC)


def _plays(user: User, bite_ids: set[int], since: datetime) -> dict[int, list[tuple[datetime, float]]]:
    found: dict[int, list[tuple[datetime, float]]] = {}
    if bite_ids:
        rows = db.session.execute(select(UsageEvent.item_id, UsageEvent.created_at, UsageEvent.seconds).where(
            UsageEvent.user_id == user.id, UsageEvent.kind == UsageKind.PLAY, UsageEvent.item_type == "bite",
            UsageEvent.item_id.in_(bite_ids), UsageEvent.created_at >= since))
        for bite_id, at, seconds in rows:
            found.setdefault(bite_id, []).append((at, seconds or 0.0))
    return found


def _first(ids: set[int], query) -> dict[int, datetime]:
    """Rows of (item id, first time) for the ids; no query when there are none."""
    return {item_id: at for item_id, at in db.session.execute(query)} if ids else {}


def _completion_times(user: User, steps: list[TrackStep], since: datetime) -> dict[int, datetime | None]:
    """When each (not signed-off) step was completed since `since`, by step id; None when not yet."""
    ids: dict[StepKind, set[int]] = {kind: set() for kind in StepKind}
    for s in steps:
        if s.item_id is not None:
            ids[s.kind].add(s.item_id)
    playlist_bites = {pid: refs.playlist_bites(pid) for pid in ids[StepKind.PLAYLIST]}
    bite_ids = ids[StepKind.BITE] | {b.id for bites in playlist_bites.values() for b in bites}
    durations = {bite_id: length for bite_id, length in db.session.execute(
        select(Bite.id, Bite.end_s - Bite.start_s).where(Bite.id.in_(bite_ids)))} if bite_ids else {}
    plays = _plays(user, bite_ids, since)
    heard = {bite_id: rules.listened_at(length, plays.get(bite_id, [])) for bite_id, length in durations.items()}
    opened = _first(ids[StepKind.ASSET], select(UsageEvent.item_id, func.min(UsageEvent.created_at)).where(
        UsageEvent.user_id == user.id, UsageEvent.item_type == "asset",
        UsageEvent.kind.in_([UsageKind.VIEW, UsageKind.DOWNLOAD]), UsageEvent.item_id.in_(ids[StepKind.ASSET]),
        UsageEvent.created_at >= since).group_by(UsageEvent.item_id))
    read = _first(ids[StepKind.PLAYBOOK], select(PlaybookRead.playbook_id, func.min(PlaybookRead.read_at)).where(
        PlaybookRead.user_id == user.id, PlaybookRead.playbook_id.in_(ids[StepKind.PLAYBOOK]),
        PlaybookRead.read_at >= since).group_by(PlaybookRead.playbook_id))
    passed = _first(ids[StepKind.QUIZ], select(QuizAttempt.quiz_id, func.min(QuizAttempt.submitted_at)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.passed.is_(True), QuizAttempt.quiz_id.in_(ids[StepKind.QUIZ]),
        QuizAttempt.submitted_at >= since).group_by(QuizAttempt.quiz_id))
    found = {StepKind.ASSET: opened, StepKind.PLAYBOOK: read, StepKind.QUIZ: passed}
    times: dict[int, datetime | None] = {}
    for s in steps:
        if s.item_id is None:
            times[s.id] = None
        elif s.kind == StepKind.BITE:
            times[s.id] = heard.get(s.item_id)
        elif s.kind == StepKind.PLAYLIST:
            bites = playlist_bites[s.item_id]
            times[s.id] = rules.all_met_at(heard.get(b.id) for b in bites)
        else:
            times[s.id] = found[s.kind].get(s.item_id)
    return times


def _newly_completed(user: User, assignment: Assignment, steps: list[TrackStep]) -> dict[int, datetime]:
    """When each step of the assignment not yet recorded as done was completed, for those that were."""
    done = {c.step_id for c in assignment.completions}
    pending = [s for s in steps if s.id not in done and s.kind != StepKind.SIGNOFF]
    return {step_id: at for step_id, at in _completion_times(user, pending, _start(assignment)).items()
            if at is not None}


def sync_progress(user: User, now: datetime) -> list[StepCompletion]:
    """Record the steps the user has completed since last time, close finished assignments, award certifications."""
    made: list[StepCompletion] = []
    for assignment in assignments_of(user):
        if assignment.completed_at is not None:
            continue
        steps = assignment.track.steps
        resolve_pending(steps)
        completed = _newly_completed(user, assignment, steps)
        if completed:
            # another request (two pages open at once) may be recording the same steps: wait for it, then look again
            lock_row(user)
            db.session.expire(assignment)
            completed = _newly_completed(user, assignment, steps) if assignment.completed_at is None else {}
        for step_id, at in completed.items():
            completion = StepCompletion(assignment=assignment, step_id=step_id, completed_at=min(at, now))
            db.session.add(completion)
            made.append(completion)
        db.session.flush()
        finished = rules.all_met_at(
            next((c.completed_at for c in assignment.completions if c.step_id == s.id), None) for s in steps)
        if finished is not None:
            assignment.completed_at = finished
    db.session.flush()
    certifications.evaluate(user, now)
    return made
