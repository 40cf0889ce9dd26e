"""Notification pages: the bell's list, the user's email settings, and the outbox for admins."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from enable.navigation import add_nav_item
from enable.notifications import bp, delivery, preferences, services
from enable.notifications.forms import EmailSettingsForm, EmptyForm
from enable.notifications.kinds import MODE_LABELS
from enable.notifications.models import MailStatus, Notification, OutboxMail
from enable.request_args import query_choice

add_nav_item("notifications.outbox", _l("Email outbox"), Role.ADMIN, order=98)


@bp.app_context_processor
def bell_context() -> dict:
    """The unread count behind the bell, for signed-in users."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": services.unread_count(current_user.id)}


@bp.get("/")
@login_required
def index():
    return render_template("playbooks/notifications.html", notes=services.recent(current_user.id))


@bp.post("/<int:note_id>/open")
@login_required
def open_note(note_id: int):
    note = db.get_or_404(Notification, note_id)
    services.mark_read(note, current_user, utcnow())
    db.session.commit()
    return redirect(note.link or url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    services.mark_all_read(current_user, utcnow())
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = EmailSettingsForm(data={f"mode_{k}": m for k, m in preferences.modes_of(current_user.id).items()})
    if form.validate_on_submit():
        preferences.set_modes(current_user, form.modes())
        db.session.commit()
        flash(_("Email settings saved."), "success")
        return redirect(url_for("notifications.settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("notifications/settings.html", form=form, email=current_user.email,
                           can_receive=delivery.can_receive(current_user), mode_labels=MODE_LABELS), status


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox():
    status = query_choice(request.args, "status", list(MailStatus.ALL))
    return render_template("notifications/outbox.html", mails=delivery.recent_mails(status), status=status,
                           statuses=MailStatus.ALL, settings=delivery.settings_from(current_app.config),
                           form=EmptyForm())


@bp.post("/outbox/test")
@role_required(Role.ADMIN)
def outbox_test():
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("notifications.outbox"))
    delivery.queue_test(current_user)
    db.session.commit()  # the mail is sent by a background job, after this commit
    flash(_("A test email to %(email)s is queued; its row below shows whether it went out.",
            email=current_user.email), "success")
    return redirect(url_for("notifications.outbox"))


@bp.post("/outbox/<int:mail_id>/retry")
@role_required(Role.ADMIN)
def outbox_retry(mail_id: int):
    mail = db.get_or_404(OutboxMail, mail_id)
    if EmptyForm().validate_on_submit() and mail.status == MailStatus.FAILED:
        delivery.retry(mail)
        db.session.commit()
        flash(_("The email is queued again."), "success")
    return redirect(url_for("notifications.outbox"))
