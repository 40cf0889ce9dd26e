"""Enablement's pages: editing tracks and quizzes in the browser, assigning tracks, certification holders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from enable.auth import services as accounts
from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.i18n import default_language, language_choices
from enable.learning import bp, certifications, overview, quizzes, tracks
from enable.learning.forms import AssignForm, ConfirmForm, MoveForm, QuestionForm, QuizForm, StepForm, TrackForm
from enable.learning.models import Certification, Question, QuestionKind, StepKind, Track, TrackStep


def _fail(e: UserError, template: str, **context):
    db.session.rollback()
    flash(e.message, "error")
    return render_template(template, **context), e.status_code


@bp.get("/tracks")
@role_required(Role.ENABLEMENT)
def tracks_page():
    return render_template("learning/tracks.html", tracks=tracks.list_tracks())


@bp.route("/tracks/new", methods=["GET", "POST"])
@bp.route("/tracks/<int:track_id>", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def track_edit(track_id: int | None = None):
    track = db.get_or_404(Track, track_id) if track_id else None
    form = TrackForm(obj=track)
    form.language.choices = language_choices(also=track.language if track else None)
    if track is None and not form.is_submitted():
        form.language.data = default_language()
    if form.validate_on_submit():
        try:
            track = tracks.save_track(track, title=form.title.data, description=form.description.data or "",
                                      is_default=form.is_default.data, actor=current_user, now=utcnow(),
                                      language=form.language.data or None)
        except UserError as e:
            return _fail(e, "learning/track_edit.html", form=form, track=track, step_form=StepForm())
        db.session.commit()
        flash(_("Track saved."), "success")
        return redirect(url_for("learning.track_edit", track_id=track.id))
    view = overview.track_steps(track) if track else []
    db.session.commit()
    return render_template("learning/track_edit.html", form=form, track=track, steps=view, step_form=StepForm(),
                           move_form=MoveForm())


@bp.post("/tracks/<int:track_id>/steps")
@role_required(Role.ENABLEMENT)
def step_add(track_id: int):
    track = db.get_or_404(Track, track_id)
    form = StepForm()
    if form.validate_on_submit():
        try:
            tracks.add_step(track, kind=StepKind(form.kind.data), ref=form.ref.data or "", title=form.title.data or "",
                            due_days=form.due_days.data, actor=current_user, now=utcnow())
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Step added."), "success")
    else:
        flash(_("Check the step: %(errors)s", errors="; ".join(e for errs in form.errors.values() for e in errs)),
              "error")
    return redirect(url_for("learning.track_edit", track_id=track.id))


@bp.post("/steps/<int:step_id>/move")
@role_required(Role.ENABLEMENT)
def step_move(step_id: int):
    step = db.get_or_404(TrackStep, step_id)
    form = MoveForm()
    if form.validate_on_submit():
        tracks.move_step(step, -1 if form.direction.data == "up" else 1, utcnow())
        db.session.commit()
    return redirect(url_for("learning.track_edit", track_id=step.track_id))


@bp.post("/steps/<int:step_id>/delete")
@role_required(Role.ENABLEMENT)
def step_delete(step_id: int):
    step = db.get_or_404(TrackStep, step_id)
    track_id = step.track_id
    if ConfirmForm().validate_on_submit():
        tracks.delete_step(step, current_user, utcnow())
        db.session.commit()
        flash(_("Step removed."), "success")
    return redirect(url_for("learning.track_edit", track_id=track_id))


@bp.route("/tracks/<int:track_id>/assign", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def track_assign(track_id: int):
    track = db.get_or_404(Track, track_id)
    form = AssignForm()
    form.users.choices = [(u.id, f"{u.name} ({u.email})") for u in accounts.list_users() if u.is_active]
    form.teams.choices = [(t.id, t.name) for t in accounts.list_teams()]
    if request.method == "GET":
        form.start.data = utcnow().date()
    if form.validate_on_submit():
        people = tracks.people_to_assign(form.users.data or [], form.teams.data or [])
        if not people:
            form.users.errors.append(_("Choose people or teams to assign the track to."))
            return render_template("learning/assign.html", form=form, track=track), 422
        try:
            made = tracks.assign_track(track, people, start=form.start.data, actor=current_user,
                                       now=utcnow())
        except UserError as e:
            return _fail(e, "learning/assign.html", form=form, track=track)
        db.session.commit()
        flash(_("“%(track)s” assigned to %(n)d people (%(skipped)d already had it).", track=track.title,
                n=len(made), skipped=len(people) - len(made)), "success")
        return redirect(url_for("learning.tracks_page"))
    return render_template("learning/assign.html", form=form, track=track)


@bp.get("/quizzes")
@role_required(Role.ENABLEMENT)
def quizzes_page():
    return render_template("learning/quizzes.html", quizzes=quizzes.list_quizzes())


@bp.route("/quizzes/new", methods=["GET", "POST"])
@bp.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def quiz_edit(quiz_id: int | None = None):
    quiz = quizzes.get_quiz(quiz_id) if quiz_id else None
    form = QuizForm(obj=quiz)
    if form.validate_on_submit():
        try:
            quiz = quizzes.save_quiz(quiz, title=form.title.data, description=form.description.data or "",
                                     pass_percent=form.pass_percent.data, max_attempts=form.max_attempts.data,
                                     actor=current_user, now=utcnow())
        except UserError as e:
            return _fail(e, "learning/quiz_edit.html", form=form, quiz=quiz, move_form=MoveForm(),
                         form_confirm=ConfirmForm(), kinds=QuestionKind)
        db.session.commit()
        flash(_("Quiz saved."), "success")
        return redirect(url_for("learning.quiz_edit", quiz_id=quiz.id))
    return render_template("learning/quiz_edit.html", form=form, quiz=quiz, move_form=MoveForm(),
                           form_confirm=ConfirmForm(), kinds=QuestionKind)


def _question_form(question: Question | None) -> QuestionForm:
    if request.method != "GET" or question is None:
        return QuestionForm()
    form = QuestionForm(kind=question.kind.value, prompt=question.prompt, explanation=question.explanation,
                        bite=question.bite_ref or (str(question.bite_id) if question.bite_id else ""))
    if question.kind == QuestionKind.TRUE_FALSE:
        form.answer.data = "true" if question.options and question.options[0].is_correct else "false"
    else:
        for entry, option in zip(form.options.entries, question.options, strict=False):
            entry.form.text.data, entry.form.is_correct.data = option.text, option.is_correct
    return form


def _options(form: QuestionForm, kind: QuestionKind) -> list[quizzes.OptionSpec]:
    if kind == QuestionKind.TRUE_FALSE:
        return quizzes.true_false_options(form.answer.data == "true")
    return [quizzes.OptionSpec(e.form.text.data or "", bool(e.form.is_correct.data)) for e in form.options.entries]


@bp.route("/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def question_edit(quiz_id: int | None = None, question_id: int | None = None):
    question = db.get_or_404(Question, question_id) if question_id else None
    quiz = question.quiz if question else quizzes.get_quiz(quiz_id or 0)
    form = _question_form(question)
    if form.validate_on_submit():
        kind = QuestionKind(form.kind.data)
        try:
            quizzes.save_question(quiz, question, kind=kind, prompt=form.prompt.data,
                                  explanation=form.explanation.data or "", options=_options(form, kind),
                                  bite_ref=form.bite.data or "", actor=current_user, now=utcnow())
        except UserError as e:
            return _fail(e, "learning/question_edit.html", form=form, quiz=quiz, question=question)
        db.session.commit()
        flash(_("Question saved."), "success")
        return redirect(url_for("learning.quiz_edit", quiz_id=quiz.id))
    return render_template("learning/question_edit.html", form=form, quiz=quiz, question=question)


@bp.post("/questions/<int:question_id>/move")
@role_required(Role.ENABLEMENT)
def question_move(question_id: int):
    question = db.get_or_404(Question, question_id)
    form = MoveForm()
    if form.validate_on_submit():
        quizzes.move_question(question, -1 if form.direction.data == "up" else 1, utcnow())
        db.session.commit()
    return redirect(url_for("learning.quiz_edit", quiz_id=question.quiz_id))


@bp.post("/questions/<int:question_id>/delete")
@role_required(Role.ENABLEMENT)
def question_delete(question_id: int):
    question = db.get_or_404(Question, question_id)
    quiz_id = question.quiz_id
    if ConfirmForm().validate_on_submit():
        quizzes.delete_question(question, current_user, utcnow())
        db.session.commit()
        flash(_("Question deleted."), "success")
    return redirect(url_for("learning.quiz_edit", quiz_id=quiz_id))


@bp.get("/certifications/<int:certification_id>")
@role_required(Role.ENABLEMENT)
def certification(certification_id: int):
    cert = db.get_or_404(Certification, certification_id)
    now = utcnow()
    return render_template("learning/certification.html", cert=cert,
                           holders=[overview.award_view(a, now) for a in certifications.holders(cert, now)])

