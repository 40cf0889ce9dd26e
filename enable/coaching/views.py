"""Coaching pages: scorecards (enablement), scoring a call, a score, feedback requests, the call-page partial and
the manager's queue on the home page."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.calls import services as calls
from enable.calls.models import Call
from enable.coaching import bp, services
from enable.coaching.forms import FeedbackRequestForm, ScorecardForm
from enable.coaching.models import CallScore, FeedbackRequest, Scorecard, ScorecardVersion
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.main.dashboard import Panel, add_panel
from enable.navigation import add_nav_item
from enable.request_args import query_int
from enable.taxonomy import services as taxonomy_services
from enable.taxonomy.models import TagKind

add_nav_item("coaching.scorecards", _l("Scorecards"), Role.ENABLEMENT, order=82)


def _queue_panel(user: User) -> Panel | None:
    items = services.queue_for(user, utcnow().date())
    return Panel("coaching/_panel_queue.html", {"items": items}, order=20)


add_panel(Role.MANAGER, _queue_panel)


# The call page's partial ---------------------------------------------------------------------------------------------


@dataclass
class CallCoaching:
    scores: list[CallScore]
    cards: list[Scorecard]
    can_score: bool
    can_request: bool
    requests: list[FeedbackRequest] = field(default_factory=list)


@bp.app_template_global()
def coaching_for_call(call: Call) -> CallCoaching:
    """What the call page's coaching panel shows to the signed-in user."""
    user = current_user
    if not user.is_authenticated:
        return CallCoaching([], [], False, False)
    can_score = services.can_score(user, call)
    is_rep = user.id == call.rep_id
    return CallCoaching(services.visible_scores(user, call), services.scorecards_for_call(call) if can_score else [],
                        can_score, is_rep and bool(services.managers_of(user)),
                        services.open_requests(call, user.id) if is_rep else [])


@bp.app_template_global()
def coaching_answer_label(answer) -> str:
    return services.answer_label(answer)


# Scorecards (enablement) ---------------------------------------------------------------------------------------------


def _stage_choices(form: ScorecardForm) -> dict[str, str]:
    locale = str(getattr(current_user, "locale", None) or "en")
    stages = {t.key: t.name_in(locale) for t in taxonomy_services.tags_of_kind(TagKind.STAGE)}
    form.stage.choices = [("", _("Every call"))] + list(stages.items())
    return stages


@bp.get("/scorecards")
@role_required(Role.ENABLEMENT)
def scorecards():
    form = ScorecardForm()
    return render_template("coaching/scorecards.html", cards=services.list_scorecards(), stages=_stage_choices(form))


def _save(card: Scorecard | None, form: ScorecardForm):
    try:
        specs = services.parse_questions(form.questions.data or "")
        if card is None:
            card = services.create_scorecard(form.title.data or "", specs, stage=form.stage.data or None,
                                             description=form.description.data or "")
            message = _("Scorecard created.")
        else:
            before = card.current.id if card.current else None
            version = services.update_scorecard(card, form.title.data or "", specs, stage=form.stage.data or None,
                                                description=form.description.data or "")
            message = (_("Saved as version %(n)d: the scores given so far keep the questions they answered.",
                         n=version.number) if version.id != before else _("Scorecard saved."))
    except UserError as e:
        db.session.rollback()
        form.questions.errors = [*form.questions.errors, e.message]
        return None
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("coaching.scorecard", scorecard_id=card.id))


@bp.route("/scorecards/new", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def scorecard_new():
    form = ScorecardForm()
    _stage_choices(form)
    if form.validate_on_submit() and (done := _save(None, form)) is not None:
        return done
    status = 422 if request.method == "POST" else 200
    return render_template("coaching/scorecard_edit.html", form=form, card=None), status


@bp.route("/scorecards/<int:scorecard_id>/edit", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def scorecard_edit(scorecard_id: int):
    card = db.get_or_404(Scorecard, scorecard_id)
    form = ScorecardForm(obj=card) if request.method == "POST" else ScorecardForm(
        title=card.title, stage=card.stage or "", description=card.description,
        questions=services.questions_text(card.current))
    _stage_choices(form)
    if form.validate_on_submit() and (done := _save(card, form)) is not None:
        return done
    status = 422 if request.method == "POST" else 200
    return render_template("coaching/scorecard_edit.html", form=form, card=card), status


@bp.get("/scorecards/<int:scorecard_id>")
@role_required(Role.ENABLEMENT)
def scorecard(scorecard_id: int):
    card = db.get_or_404(Scorecard, scorecard_id)
    counts = {v.id: services.version_has_scores(v) for v in card.versions}
    return render_template("coaching/scorecard.html", card=card, has_scores=counts,
                           stages=_stage_choices(ScorecardForm()))


@bp.post("/scorecards/<int:scorecard_id>/archive")
@role_required(Role.ENABLEMENT)
def scorecard_archive(scorecard_id: int):
    card = db.get_or_404(Scorecard, scorecard_id)
    services.set_active(card, not card.is_active)
    db.session.commit()
    flash(_("Scorecard archived: it accepts no new scores.") if not card.is_active
          else _("Scorecard restored: it accepts scores again."), "success")
    return redirect(url_for("coaching.scorecard", scorecard_id=card.id))


# Scoring a call ------------------------------------------------------------------------------------------------------


def _call_for(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or not calls.can_view(current_user, call):
        abort(404)
    return call


def _moment(raw: str) -> float | None:
    """A moment typed as seconds (75) or minutes and seconds (1:15); empty is none; a UserError otherwise."""
    text = raw.strip()
    if not text:
        return None
    try:
        if ":" in text:
            minutes, seconds = text.split(":", 1)
            value = int(minutes) * 60 + float(seconds)
        else:
            value = float(text)
    except (ValueError, OverflowError):  # 400 nines of minutes do not fit a float
        raise UserError(_("A moment is a second of the call, such as 75 or 1:15.")) from None
    if not math.isfinite(value):
        raise UserError(_("A moment is a second of the call, such as 75 or 1:15."))
    return value


@bp.route("/calls/<int:call_id>/score", methods=["GET", "POST"])
@login_required
def score_call(call_id: int):
    call = _call_for(call_id)
    if not services.can_score(current_user, call):
        abort(403)
    cards = services.scorecards_for_call(call)
    version: ScorecardVersion | None = None
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        version = db.session.get(ScorecardVersion, query_int(request.form, "version_id") or 0)
        if version is None:
            abort(404)
        values = {k: v for k, v in request.form.items() if k.startswith(("q", "m")) or k == "note"}
        try:
            answers = [services.AnswerIn(q.id, request.form.get(f"q{q.id}", ""),
                                         _moment(request.form.get(f"m{q.id}", ""))) for q in version.questions]
            result = services.score_call(call, version, current_user, answers, note=request.form.get("note", ""),
                                         now=utcnow())
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
            status = 409 if isinstance(e, services.ScorecardClosed) else 422
        else:
            db.session.commit()
            if result.stale:
                flash(_("Saved against version %(n)d, the one you saw: the scorecard changed while you were scoring.",
                        n=version.number), "info")
            flash(_("Score saved: %(total)s", total=_("%(pct)s%%", pct=result.score.total_pct)
                    if result.score.total_pct is not None else "–"), "success")
            return redirect(url_for("coaching.score", score_id=result.score.id))
    else:
        chosen = query_int(request.args, "scorecard")
        card = next((c for c in cards if c.id == chosen), None) if chosen else (cards[0] if cards else None)
        if chosen and card is None:
            abort(404)
        version = card.current if card else None
    requests = services.open_requests(call, call.rep_id) if call.rep_id else []
    return render_template("coaching/score_form.html", call=call, cards=cards, version=version, values=values,
                           requests=[r for r in requests if current_user.id != call.rep_id],
                           is_self=current_user.id == call.rep_id), status


@bp.get("/scores/<int:score_id>")
@login_required
def score(score_id: int):
    found = db.session.get(CallScore, score_id)
    if found is None or not services.can_see_score(current_user, found):
        abort(404)
    call = db.session.get(Call, found.call_id)
    card = found.version.scorecard
    return render_template("coaching/score.html", score=found, call=call, card=card,
                           answers={a.question_id: a for a in found.answers},
                           newer=card.current is not None and card.current.id != found.version_id)


# Feedback requests ---------------------------------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/request-feedback", methods=["GET", "POST"])
@login_required
def request_feedback(call_id: int):
    call = _call_for(call_id)
    if call.rep_id != current_user.id:
        abort(403)
    form = FeedbackRequestForm()
    form.manager.choices = [(m.id, m.name) for m in services.managers_of(current_user)]
    if form.validate_on_submit():
        try:
            made = services.request_feedback(call, current_user, form.manager.data, note=form.note.data or "",
                                             due_on=form.due_on.data, today=utcnow().date(), now=utcnow())
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is asked for feedback on this call.", name=made.manager.name), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return (render_template("coaching/request_feedback.html", form=form, call=call),
            422 if request.method == "POST" else 200)


@bp.get("/queue")
@role_required(Role.MANAGER)
def queue():
    return render_template("coaching/queue.html", items=services.queue_for(current_user, utcnow().date()))
