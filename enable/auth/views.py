"""Sign-in, personal settings, and the admin pages for users and teams."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from enable.auth import bp, sessions
from enable.auth import services as accounts
from enable.auth.decorators import role_required
from enable.auth.forms import LoginForm, PasswordResetForm, SettingsForm, TeamForm, UserForm
from enable.auth.models import Role, Team, User
from enable.errors import UserError
from enable.extensions import db


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            attempt = accounts.begin_sign_in(form.email.data, request.remote_addr)
        except accounts.LoginThrottled as e:
            db.session.rollback()
            flash(e.message, "error")
            return render_template("auth/login.html", form=form), 429
        db.session.commit()  # the attempt is counted before the slow password check, so attempts at once all count
        user = accounts.finish_sign_in(attempt, form.password.data)
        if user is not None:
            sessions.open_session(user, remember=bool(form.remember.data))
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()
        flash(_("Wrong email or password."), "error")
        status = 401
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    sessions.close_session(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    sessions.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are signed out on every device; a copied cookie no longer works either."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(locale=current_user.locale or "")
    if form.validate_on_submit():
        current_user.locale = form.locale.data or None
        db.session.commit()
        refresh()  # the form named the languages in the old one: the message speaks the one just chosen
        flash(_("Settings saved."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, voice=accounts.voice_profile(current_user.id))


@bp.post("/settings/voice/delete")
@login_required
def voice_delete():
    if accounts.delete_voice_profile(current_user, current_user):
        db.session.commit()
        flash(_("Your voice profile was deleted."), "success")
    return redirect(url_for("auth.settings"))


@bp.post("/users/<int:user_id>/voice/delete")
@role_required(Role.ADMIN)
def user_voice_delete(user_id: int):
    user = db.get_or_404(User, user_id)
    if accounts.delete_voice_profile(user, current_user):
        db.session.commit()
        flash(_("The voice profile of %(name)s was deleted.", name=user.name), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    return render_template("auth/users.html", users=accounts.list_users(), teams=accounts.list_teams())


def _team_choices() -> list[tuple[str, str]]:
    return [("", _("No team"))] + [(str(t.id), t.name) for t in accounts.list_teams()]


def _chosen_team(form: UserForm) -> Team | None:
    if form.new_team.data:
        return accounts.get_or_create_team(form.new_team.data)
    return db.session.get(Team, int(form.team.data)) if form.team.data else None


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = UserForm()
    form.team.choices = _team_choices()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("A new user needs a password."))
        else:
            try:
                user = accounts.create_user(email=form.email.data, name=form.name.data, password=form.password.data,
                                            role=Role(form.role.data), team=_chosen_team(form),
                                            hired_on=form.hired_on.data, locale=form.locale.data or None,
                                            actor=current_user)
                from enable.learning.tracks import assign_default_track  # onboarding of new hires (issue 6)

                assign_default_track(user, actor=current_user)
            except UserError as e:
                db.session.rollback()
                flash(e.message, "error")
                return render_template("auth/user_form.html", form=form, user=None), 422
            db.session.commit()
            flash(_("User %(name)s created.", name=user.name), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    if request.method == "GET":
        form.role.data = user.role.value
        form.team.data = str(user.team_id or "")
        form.is_active.data = user.is_active_account
        form.locale.data = user.locale or ""
    form.team.choices = _team_choices()
    if form.validate_on_submit():
        try:
            accounts.update_user(user, actor=current_user, name=form.name.data, email=form.email.data,
                                 role=Role(form.role.data), team=_chosen_team(form), hired_on=form.hired_on.data,
                                 is_active=form.is_active.data, locale=form.locale.data or None)
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
            return render_template("auth/user_form.html", form=form, user=user, reset_form=PasswordResetForm(),
                                   voice=accounts.voice_profile(user.id)), 422
        db.session.commit()
        flash(_("Changes to %(name)s saved.", name=user.name), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, reset_form=PasswordResetForm(),
                           voice=accounts.voice_profile(user.id))


@bp.post("/users/<int:user_id>/password")
@role_required(Role.ADMIN)
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("auth.user_edit", user_id=user.id))
    accounts.set_password(user, form.password.data, actor=current_user,
                          keep_session=current_user.session_key if user.id == current_user.id else None)
    db.session.commit()
    flash(_("Password of %(name)s reset.", name=user.name), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.route("/teams", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def teams(team_id: int | None = None):
    team = db.get_or_404(Team, team_id) if team_id else None
    form = TeamForm(obj=team)
    form.manager.choices = [("", _("No manager"))] + [
        (str(u.id), u.name) for u in accounts.list_users() if u.has_role(Role.MANAGER)
    ]
    if request.method == "GET" and team is not None:
        form.manager.data = str(team.manager_id or "")
    if form.validate_on_submit():
        try:
            team = accounts.save_team(team, name=form.name.data,
                                      manager_id=int(form.manager.data) if form.manager.data else None,
                                      actor=current_user)
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
            return render_template("auth/teams.html", form=form, team=team, teams=accounts.list_teams()), 422
        db.session.commit()
        flash(_("Team %(name)s saved.", name=team.name), "success")
        return redirect(url_for("auth.teams"))
    return render_template("auth/teams.html", form=form, team=team, teams=accounts.list_teams())
