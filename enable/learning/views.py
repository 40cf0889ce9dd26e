"""The learner's pages: my learning, a track, reading a playbook, quizzes, daily review, certificates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.learning import bp, certifications, overview, quizzes, refs, review, tracks
from enable.learning.forms import ConfirmForm
from enable.learning.models import QuestionKind
from enable.request_args import parse_id, query_int


@bp.get("/")
@role_required(Role.REP)
def index():
    view = overview.learner_view(current_user, utcnow())
    db.session.commit()
    return render_template("learning/index.html", view=view, can_manage=current_user.has_role(Role.ENABLEMENT))


@bp.get("/assignments/<int:assignment_id>")
@role_required(Role.REP)
def assignment(assignment_id: int):
    now = utcnow()
    found = tracks.visible_assignment(current_user, assignment_id)
    tracks.sync_progress(found.user, now)
    db.session.commit()
    return render_template("learning/assignment.html", view=overview.assignment_view(found, now.date()),
                           is_mine=found.user_id == current_user.id)


@bp.get("/read/<int:playbook_id>")
@role_required(Role.REP)
def read_playbook(playbook_id: int):
    from enable.playbooks import services as playbooks

    playbook = refs.playbook(playbook_id)
    if playbook is None or not playbook.is_active_content:
        abort(404)
    return render_template("learning/read.html", playbook=playbook, rendered=playbooks.render(playbook))


@bp.post("/read/<int:playbook_id>/viewed")
@role_required(Role.REP)
def read_viewed(playbook_id: int):
    """The reading page's beacon (enable.js), sent once the page is shown: a playbook read inside a track counts as
    a view of it in usage reports, as one opened from the library does."""
    tracks.record_learning_view(current_user, playbook_id)
    db.session.commit()
    return "", 204


@bp.post("/read/<int:playbook_id>")
@role_required(Role.REP)
def read_beacon(playbook_id: int):
    """Called by learning.js when the end of the playbook scrolls into view."""
    tracks.record_playbook_read(current_user, playbook_id, utcnow())
    db.session.commit()
    return {"ok": True}


def _answers(form) -> dict[int, set[int]]:
    """Chosen option ids per question id from fields named q<question id>."""
    answers: dict[int, set[int]] = {}
    for key in form:
        if key.startswith("q") and (question_id := parse_id(key[1:])) is not None:
            answers[question_id] = {i for v in form.getlist(key) if (i := parse_id(v)) is not None}
    return answers


@bp.route("/quizzes/<int:quiz_id>/take", methods=["GET", "POST"])
@role_required(Role.REP)
def take_quiz(quiz_id: int):
    quiz = quizzes.get_quiz(quiz_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            attempt = quizzes.submit_attempt(current_user, quiz, _answers(request.form), utcnow())
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
            return redirect(url_for("learning.take_quiz", quiz_id=quiz.id))
        db.session.commit()
        return redirect(url_for("learning.attempt", attempt_id=attempt.id))
    bites = quizzes.bites_for(quiz.questions)
    db.session.commit()
    return render_template("learning/take_quiz.html", quiz=quiz, form=form, bites=bites, kinds=QuestionKind,
                           attempts_left=quizzes.attempts_left(current_user, quiz),
                           best=quizzes.best_attempt(current_user, quiz))


@bp.get("/attempts/<int:attempt_id>")
@role_required(Role.REP)
def attempt(attempt_id: int):
    found = quizzes.visible_attempt(current_user, attempt_id)
    return render_template("learning/attempt.html", attempt=found, feedback=quizzes.feedback(found),
                           kinds=QuestionKind, attempts_left=quizzes.attempts_left(found.user, found.quiz),
                           awards=overview.awards_earned(found.user, found.submitted_at, utcnow()))


@bp.get("/review")
@role_required(Role.REP)
def review_page():
    now = utcnow()
    last = None
    if (last_id := query_int(request.args, "last")) is not None:
        last = review.last_answer(current_user, last_id)
    card = review.next_due(current_user, now)
    bites = quizzes.bites_for([card.question]) if card else {}
    db.session.commit()
    return render_template("learning/review.html", card=card, last=last, bites=bites, kinds=QuestionKind,
                           form=ConfirmForm(), left=review.due_count(current_user, now),
                           done_today=review.reviewed_today(current_user, now))


@bp.post("/review/<int:card_id>")
@role_required(Role.REP)
def review_answer(card_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        chosen = {i for v in request.form.getlist("answer") if (i := parse_id(v)) is not None}
        card, _correct = review.answer_review(current_user, card_id, chosen, utcnow())
    except review.NothingToReview as e:
        flash(e.message, "info")
        return redirect(url_for("learning.review_page"))
    db.session.commit()
    return redirect(url_for("learning.review_page", last=card.id))


@bp.get("/certifications")
@role_required(Role.REP)
def certifications_page():
    now = utcnow()
    view = overview.learner_view(current_user, now)
    db.session.commit()
    return render_template("learning/certifications.html", view=view,
                           certs=overview.certification_progress(current_user, now),
                           can_manage=current_user.has_role(Role.ENABLEMENT))


@bp.get("/certificates/<int:award_id>")
@role_required(Role.REP)
def certificate(award_id: int):
    award = certifications.visible_award(current_user, award_id)
    return render_template("learning/certificate.html", award=overview.award_view(award, utcnow()))


@bp.route("/acks/<int:task_id>", methods=["GET", "POST"])
@role_required(Role.REP)
def ack(task_id: int):
    form = ConfirmForm()
    task = certifications.visible_ack(current_user, task_id)
    if form.validate_on_submit():
        certifications.acknowledge(current_user, task.id, utcnow())
        db.session.commit()
        flash(_("Thank you: “%(cert)s” is in good standing again.", cert=task.award.certification.title),
              "success")
        return redirect(url_for("learning.index"))
    return render_template("learning/ack.html", task=task, form=form, playbook=refs.playbook(task.playbook_id),
                           playbook_history_url=refs.history_url(task.playbook_id))
