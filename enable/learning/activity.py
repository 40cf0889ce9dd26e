"""What one person did, for their manager: what they listened to, read, completed and scored, and when; and what was
assigned to them that they never opened.

Activity comes from the usage events (views, plays with seconds heard, downloads, shares, use on deals: wherever the
content was opened, a track or a quiz included), playbooks read to the end, track steps completed and quiz attempts.
"Never opened" lists the steps of the person's tracks whose content has no usage event of theirs at all (for a quiz:
no attempt; a playbook read to the end counts as opened). Who may see whom is the caller's check
(`tracks.can_view_person`: a manager their team only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from enable.auth.models import User
from enable.deals import content
from enable.extensions import db
from enable.learning import refs
from enable.learning.models import Assignment, PlaybookRead, QuizAttempt, StepCompletion, StepKind, Track, TrackStep
from enable.usage import UsageEvent, UsageKind

DEFAULT_DAYS = 90
MAX_DAYS = 3660
ROW_LIMIT = 2000  # the most recent rows shown (the CSV holds the same)

# Step kinds whose content is opened (a sign-off is given by the manager; a quiz is taken).
_OPENED_TYPES = {StepKind.BITE: "bite", StepKind.PLAYLIST: "playlist", StepKind.PLAYBOOK: "playbook",
                 StepKind.ASSET: "asset"}


@dataclass(frozen=True)
class ActivityRow:
    """One thing the person did."""

    at: datetime
    action: str  # translated: listened, opened, read to the end, completed a step, took a quiz ...
    item_type: str  # bite, playlist, playbook, asset, quiz, step
    title: str
    detail: str = ""  # seconds heard, a score, the track of a step
    url: str | None = None


@dataclass(frozen=True)
class NeverOpened:
    """A step assigned to the person whose content they never opened."""

    track: str
    step: str
    kind: StepKind
    assigned_at: datetime
    due: datetime | None
    url: str | None


@dataclass
class MemberActivity:
    person: User
    since: datetime
    rows: list[ActivityRow] = field(default_factory=list)
    never_opened: list[NeverOpened] = field(default_factory=list)
    listened_s: float = 0.0
    opened: int = 0
    completed: int = 0
    attempts: int = 0


def _actions() -> dict[UsageKind, str]:
    return {UsageKind.VIEW: _("opened"), UsageKind.PLAY: _("listened"), UsageKind.PLAYLIST_PLAY: _("listened"),
            UsageKind.SHARE: _("shared"), UsageKind.USED_ON_DEAL: _("used on a deal"),
            UsageKind.DOWNLOAD: _("downloaded")}


def _sources() -> dict[str, str]:
    return {"track": _("in a track"), "quiz": _("in a quiz"), "quiz_result": _("in a quiz"),
            "review": _("in the daily review")}


def _url(item_type: str, item_id: int) -> str | None:
    url = content.item_url(item_type, item_id)
    return None if url == "#" else url


def member_activity(person: User, now: datetime, days: int = DEFAULT_DAYS) -> MemberActivity:
    """The person's activity of the last `days` days (newest first) and the assigned content they never opened."""
    since = now - timedelta(days=days)
    view = MemberActivity(person=person, since=since)
    actions, sources = _actions(), _sources()
    events = db.session.scalars(select(UsageEvent).where(UsageEvent.user_id == person.id,
                                                         UsageEvent.created_at >= since)
                                .order_by(UsageEvent.created_at.desc()).limit(ROW_LIMIT)).all()
    ids: dict[str, set[int]] = defaultdict(set)
    for e in events:
        ids[e.item_type].add(e.item_id)
    reads = db.session.scalars(select(PlaybookRead).where(PlaybookRead.user_id == person.id,
                                                          PlaybookRead.read_at >= since)).all()
    ids["playbook"].update(r.playbook_id for r in reads)
    titles = {kind: content.titles(kind, wanted) for kind, wanted in ids.items()}
    for e in events:
        if e.kind == UsageKind.PLAYLIST_PLAY:
            continue  # the bite's own play is listed; the playlist's play repeats its seconds
        detail = []
        if e.seconds:
            detail.append(_("%(n)d s heard", n=round(e.seconds)))
            view.listened_s += e.seconds
        else:
            view.opened += 1
        source = (e.meta or {}).get("source")
        if source in sources:
            detail.append(sources[source])
        title = titles.get(e.item_type, {}).get(e.item_id) or _("(removed) %(type)s %(id)d", type=e.item_type,
                                                                    id=e.item_id)
        view.rows.append(ActivityRow(e.created_at, actions.get(e.kind, e.kind.value), e.item_type, title,
                                     ", ".join(detail), _url(e.item_type, e.item_id)))
    for r in reads:
        view.rows.append(ActivityRow(r.read_at, _("read to the end"), "playbook",
                                     titles["playbook"].get(r.playbook_id, "?"), "", _url("playbook", r.playbook_id)))
    done = db.session.execute(
        select(StepCompletion.completed_at, TrackStep, Track.title)
        .join(Assignment, Assignment.id == StepCompletion.assignment_id)
        .join(TrackStep, TrackStep.id == StepCompletion.step_id).join(Track, Track.id == TrackStep.track_id)
        .where(Assignment.user_id == person.id, StepCompletion.completed_at >= since)).all()
    described = refs.describe({(step.kind, step.item_id) for _at, step, _t in done if step.item_id is not None})
    for at, step, track in done:
        view.completed += 1
        item = described.get((step.kind, step.item_id)) if step.item_id is not None else None
        view.rows.append(ActivityRow(at, _("completed a step"), "step", step.title or (item.title if item else "?"),
                                     _("track: %(name)s", name=track), item.url if item else None))
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == person.id,
                                                            QuizAttempt.submitted_at >= since)).all()
    for a in attempts:
        view.attempts += 1
        score = round(100 * a.correct_count / a.question_count) if a.question_count else 0
        verdict = _("passed") if a.passed else _("not passed")
        view.rows.append(ActivityRow(a.submitted_at, _("took a quiz"), "quiz", a.quiz.title,
                                     _("%(score)d%% (%(right)d of %(total)d), %(verdict)s", score=score,
                                       right=a.correct_count, total=a.question_count, verdict=verdict)))
    view.rows.sort(key=lambda r: r.at, reverse=True)
    del view.rows[ROW_LIMIT:]
    view.never_opened = never_opened(person)
    return view


def never_opened(person: User) -> list[NeverOpened]:
    """Steps of the person's tracks whose content they never opened (ever: not only in the period shown)."""
    assignments = db.session.scalars(select(Assignment).where(Assignment.user_id == person.id)
                                     .order_by(Assignment.assigned_at)).all()
    if not assignments:
        return []
    opened: dict[str, set[int]] = defaultdict(set)
    for item_type, item_id in db.session.execute(select(UsageEvent.item_type, UsageEvent.item_id).distinct()
                                                 .where(UsageEvent.user_id == person.id)):
        opened[item_type].add(item_id)
    opened["playbook"].update(db.session.scalars(select(PlaybookRead.playbook_id)
                                                 .where(PlaybookRead.user_id == person.id)))
    taken = set(db.session.scalars(select(QuizAttempt.quiz_id).where(QuizAttempt.user_id == person.id)))
    missing: list[tuple[Assignment, TrackStep]] = []
    for a in assignments:
        for step in sorted(a.track.steps, key=lambda s: s.position):
            if step.item_id is None or step.kind == StepKind.SIGNOFF:
                continue
            if step.kind == StepKind.QUIZ:
                if step.item_id not in taken:
                    missing.append((a, step))
            elif step.kind in _OPENED_TYPES and step.item_id not in opened[_OPENED_TYPES[step.kind]]:
                missing.append((a, step))
    items = refs.describe({(step.kind, step.item_id) for _a, step in missing if step.item_id is not None})
    found: list[NeverOpened] = []
    for a, step in missing:
        item = items.get((step.kind, step.item_id))  # type: ignore[arg-type]
        due = a.assigned_at + timedelta(days=step.due_days) if step.due_days is not None else None
        found.append(NeverOpened(a.track.title, step.title or (item.title if item else "?"), step.kind,
                                 a.assigned_at, due, item.url if item else None))
    return found


def csv_header() -> list[str]:
    return [_("When (UTC)"), _("Action"), _("Type"), _("Item"), _("Detail")]


def csv_rows(view: MemberActivity) -> list[list[object]]:
    """The activity table as CSV rows (the never-opened list follows, its action saying so)."""
    rows: list[list[object]] = [[r.at.strftime("%Y-%m-%d %H:%M"), r.action, r.item_type, r.title, r.detail]
                                for r in view.rows]
    rows += [["", _("never opened"), n.kind.value, n.step, _("track: %(name)s", name=n.track)]
             for n in view.never_opened]
    return rows
