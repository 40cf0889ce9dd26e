"""Pages: every source file and its fate, the calls waiting for a rep; the receivers of the recording webhooks
(public, checked by their signatures instead of a session)."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import csrf, db
from enable.navigation import add_nav_item
from enable.request_args import query_int
from enable.sources import bp, folders, recordings, services, signing
from enable.sources.forms import AssignRepForm
from enable.sources.models import SourceFile, SourceStatus

MAX_EVENT_BYTES = 1 << 20
add_nav_item("sources.index", _l("Sources"), Role.ENABLEMENT, order=81)


@bp.get("/")
@role_required(Role.ENABLEMENT)
def index():
    raw_status = request.args.get("status") or ""
    status = SourceStatus(raw_status) if raw_status in SourceStatus._value2member_map_ else None
    page = query_int(request.args, "page", 1) or 1
    cfg = current_app.config
    counts = services.status_counts()
    return render_template("sources/index.html", files=services.source_files(status, page), status=status,
                           counts=counts, statuses=list(SourceStatus),
                           unassigned_count=counts.get(SourceStatus.UNASSIGNED, 0),
                           import_progress=services.import_progress(utcnow()),
                           drop_dirs=folders.drop_dirs(), zoom_on=bool(cfg.get("ZOOM_WEBHOOK_SECRET_TOKEN")),
                           generic_on=bool(cfg.get("RECORDING_WEBHOOK_SECRET")))


def _assign_form() -> AssignRepForm:
    form = AssignRepForm()
    form.rep.choices = services.rep_choices()
    return form


@bp.get("/unassigned")
@role_required(Role.ENABLEMENT)
def unassigned():
    return render_template("sources/unassigned.html", files=services.unassigned(), form=_assign_form())


@bp.post("/<int:source_id>/assign")
@role_required(Role.ENABLEMENT)
def assign(source_id: int):
    source = db.get_or_404(SourceFile, source_id)
    form = _assign_form()
    if not form.validate_on_submit():
        flash(_("Choose a rep."), "error")
        return redirect(url_for("sources.unassigned"))
    try:
        call = services.assign_rep(source, form.rep.data, current_user)
    except UserError as e:
        flash(e.message, "error")
        return redirect(url_for("sources.unassigned"))
    db.session.commit()
    flash(_("Rep assigned to “%(title)s”.", title=call.title), "success")
    return redirect(url_for("sources.unassigned"))


def _answer(answer: recordings.Answer):
    if answer.status >= 400:
        db.session.rollback()
        return jsonify(answer.body), answer.status
    db.session.commit()
    if answer.source_id is not None:
        from enable.sources.jobs import download_recording

        download_recording(answer.source_id)
    return jsonify(answer.body), answer.status


def _body() -> bytes:
    """The raw body of a webhook request (what its signature covers), at most 1 MB."""
    if request.content_length is None or request.content_length > MAX_EVENT_BYTES:
        abort(413)
    return request.get_data(cache=False)


@bp.post("/zoom")
@csrf.exempt
def zoom_webhook():
    """Zoom's webhook: endpoint URL validation and recording.completed, signed with the app's secret token."""
    body = _body()
    return _answer(recordings.zoom_event(body, request.headers.get(signing.ZOOM_TIMESTAMP, ""),
                                         request.headers.get(signing.ZOOM_SIGNATURE, "")))


@bp.post("/recording-ready")
@csrf.exempt
def recording_ready():
    """The generic signed "recording ready" webhook for any other system."""
    body = _body()
    return _answer(recordings.recording_ready(body, request.headers.get(signing.TIMESTAMP_HEADER, ""),
                                              request.headers.get(signing.SIGNATURE_HEADER, "")))
