"""The manager's team view: progress, certifications, overdue steps and reviews per person; sign-offs."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from enable import csvexport
from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.learning import activity, bp, certifications, overview, tracks
from enable.learning.forms import ConfirmForm
from enable.learning.models import CertificationRequirement
from enable.request_args import query_int


def _member(user_id: int) -> User:
    person = db.get_or_404(User, user_id)
    if not tracks.can_view_person(current_user, person) or person.id == current_user.id:
        abort(404)
    return person


@bp.get("/team")
@role_required(Role.MANAGER)
def team():
    rows = overview.team_view(current_user, utcnow())
    db.session.commit()
    return render_template("learning/team.html", rows=rows,
                           ramp={r.user_id: r for r in certifications.ramp([row.user.id for row in rows])})


@bp.get("/team/<int:user_id>")
@role_required(Role.MANAGER)
def member(user_id: int):
    person = _member(user_id)
    view = overview.learner_view(person, utcnow(), with_signoffs=True)
    db.session.commit()
    boss = tracks.manager_of(person)
    return render_template("learning/member.html", view=view, form=ConfirmForm(),
                           can_sign=boss is not None and boss.id == current_user.id)


@bp.get("/team/<int:user_id>/activity")
@role_required(Role.MANAGER)
def member_activity(user_id: int):
    """What one person of the manager's team listened to, read, completed and scored, and when; what they never
    opened of their tracks; ?format=csv downloads the same rows."""
    person = _member(user_id)
    days = query_int(request.args, "days", activity.DEFAULT_DAYS, high=activity.MAX_DAYS)
    view = activity.member_activity(person, utcnow(), days or activity.DEFAULT_DAYS)
    if request.args.get("format") == "csv":
        body = csvexport.to_csv_bytes(activity.csv_header(), activity.csv_rows(view))
        return Response(body, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="activity-{person.id}.csv"', "Cache-Control": "no-store"})
    return render_template("learning/activity.html", view=view, person=person, days=days,
                           periods=(7, 30, 90, 365))


@bp.post("/assignments/<int:assignment_id>/steps/<int:step_id>/signoff")
@role_required(Role.MANAGER)
def signoff_step(assignment_id: int, step_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    found = tracks.visible_assignment(current_user, assignment_id)
    try:
        tracks.sign_off_step(current_user, found, step_id, utcnow())
    except UserError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Signed off for %(name)s.", name=found.user.name), "success")
    return redirect(url_for("learning.member", user_id=found.user_id))


@bp.post("/team/<int:user_id>/requirements/<int:requirement_id>/signoff")
@role_required(Role.MANAGER)
def signoff_requirement(user_id: int, requirement_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = _member(user_id)
    requirement = db.get_or_404(CertificationRequirement, requirement_id)
    try:
        certifications.give_signoff(current_user, person, requirement, utcnow())
    except UserError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Signed off for %(name)s.", name=person.name), "success")
    return redirect(url_for("learning.member", user_id=person.id))
