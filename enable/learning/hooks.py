"""Where learning plugs into the rest of Enable: content loaders, the demo step, navigation, home panels, and
re-attestation when a playbook changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.demo import register_demo_step
from enable.extensions import db
from enable.learning import certifications, content, overview, quizzes, refs, review, tracks
from enable.learning.models import Certification, CertificationAward, StepKind
from enable.main.dashboard import Panel, add_panel
from enable.navigation import add_nav_item
from enable.playbooks import services as playbooks
from enable.starter import register_loader
from enable.usage import UsageKind, record_usage

register_loader("quizzes", content.load_quizzes)
register_loader("tracks", content.load_tracks)
register_loader("certifications", content.load_certifications)


@playbooks.on_playbook_changed
def ask_holders_to_acknowledge(playbook_id: int, version_id: int, requires_ack: bool, now: datetime) -> None:
    """A new playbook version that people must acknowledge gives every certified holder a task."""
    certifications.on_playbook_changed(playbook_id, version_id, requires_ack, now)


add_nav_item("learning.index", _l("Learning"), Role.REP, order=30)
add_nav_item("learning.team", _l("Team"), Role.MANAGER, order=60)


def learner_panel(user: User) -> Panel | None:
    """The home panel of anyone with learning: their track, reviews due, certifications, acknowledgements."""
    view = overview.learner_view(user, utcnow())
    if not (view.assignments or view.awards or view.reviews_due or view.ack_tasks):
        return None
    return Panel("learning/_panel_learner.html", {"view": view}, order=10)


def team_panel(user: User) -> Panel | None:
    """The manager's home panel: overdue steps and certifications expiring or needing attention in the team."""
    summary = overview.team_summary(user, utcnow())
    return Panel("learning/_panel_team.html", {"summary": summary}, order=20) if summary.members else None


add_panel(Role.REP, learner_panel)
add_panel(Role.MANAGER, team_panel)


def load_demo(users: dict[str, User]) -> str:
    """The new hire works through the default track (a playbook read, a bite heard, a quiz failed once);
    the rep holds a certification that expires in 20 days and has questions due for review."""
    now = utcnow()
    resolved = content.resolve_all_pending()
    newhire, rep = users["newhire@example.test"], users["rep@example.test"]
    track = tracks.default_track(newhire.locale)
    if track is None:
        return "no default track: run `flask content load` first"
    notes = [f"{resolved} references resolved"]
    if not tracks.assignments_of(newhire):
        newhire.hired_on = newhire.hired_on or (now - timedelta(days=10)).date()
        tracks.assign_default_track(newhire, now=now)
        _demo_progress(newhire, track.steps, now)
        notes.append(f"{newhire.email} started “{track.title}”")
    cert = db.session.scalar(select(Certification).order_by(Certification.id).limit(1))
    if cert is not None and not certifications.awards_of(rep):
        awarded = now - timedelta(days=cert.valid_days - 20)
        _demo_quiz(rep, cert, awarded - timedelta(days=1), right=True)
        _demo_reviews(rep, now - timedelta(days=3), count=5)
        db.session.add(CertificationAward(certification=cert, user=rep, awarded_at=awarded,
                                          expires_at=awarded + timedelta(days=cert.valid_days),
                                          evidence={"demo": True}))
        notes.append(f"{rep.email} holds “{cert.title}”, expiring in 20 days")
    db.session.flush()
    return "; ".join(notes)


def _demo_progress(user: User, steps: list, now: datetime) -> None:
    """A playbook read and a bite heard on the new hire's first days, and one quiz attempt below the pass mark."""
    start = datetime.combine(user.hired_on or now.date(), time(10), tzinfo=UTC)
    playbook = next((s for s in steps if s.kind == StepKind.PLAYBOOK and s.item_id), None)
    if playbook is not None:
        tracks.record_playbook_read(user, playbook.item_id, start + timedelta(days=1))
    bite = next((s for s in steps if s.kind == StepKind.BITE and s.item_id), None)
    if bite is not None:
        item = refs.describe({(StepKind.BITE, bite.item_id)})[(StepKind.BITE, bite.item_id)]
        event = record_usage(user, UsageKind.PLAY, "bite", bite.item_id, seconds=item.duration_s)
        event.created_at = start + timedelta(days=2)
    quiz_step = next((s for s in steps if s.kind == StepKind.QUIZ and s.item_id), None)
    if quiz_step is not None:
        quiz = quizzes.get_quiz(quiz_step.item_id)
        answers = {q.id: (q.correct_ids if i % 2 == 0 else set()) for i, q in enumerate(quiz.questions)}
        quizzes.submit_attempt(user, quiz, answers, start + timedelta(days=4))
    tracks.sync_progress(user, now)


def _demo_quiz(user: User, cert: Certification, when: datetime, right: bool) -> None:
    """Answer the certification's quiz at `when`, so its questions sit in the user's review queue."""
    for req in cert.requirements:
        if req.quiz is not None and req.quiz.questions:
            answers = {q.id: q.correct_ids if right else set() for q in req.quiz.questions}
            quizzes.submit_attempt(user, req.quiz, answers, when)


def _demo_reviews(user: User, when: datetime, count: int) -> None:
    """A few daily-review answers (all right) at `when`, so the team view shows reviews done."""
    for _ in range(count):
        card = review.next_due(user, when)
        if card is None:
            return
        review.answer_review(user, card.id, card.question.correct_ids, when)


register_demo_step("learning", load_demo)
