"""Call pages: the list with processing status, upload, the call with its player and transcript, media."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from enable import pipeline
from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.bites import services as bite_services
from enable.calls import bp, samples, voices
from enable.calls import services as calls
from enable.calls.forms import EditCallForm, UploadForm
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.demo import register_demo_step
from enable.errors import StorageFull, UserError
from enable.extensions import db
from enable.main.dashboard import Panel, add_panel
from enable.navigation import add_nav_item
from enable.request_args import parse_id, query_int
from enable.search import indexing
from enable.taxonomy import services as taxonomy_services
from enable.taxonomy.models import TagKind

add_nav_item("calls.index", _l("Calls"), Role.REP, order=40)


def _calls_panel(user: User) -> Panel | None:
    summary = calls.processing_summary(user)
    return Panel("calls/_panel.html", {"summary": summary}, order=30)


add_panel(Role.MANAGER, _calls_panel)
register_demo_step("sample calls", samples.load_sample_calls)


def _fill_choices(form, with_language: bool = False) -> None:
    locale = str(getattr(current_user, "locale", None) or "en")
    form.rep.choices = [(None, _("— nobody —"))] + [(u.id, u.name) for u in calls.rep_choices()]
    # Open deals, then closed ones, each run A-Z under its own label (two unlabelled runs looked like a bug).
    deals = sorted(calls.deal_choices(), key=lambda d: (d.name.casefold(), d.external_id))
    form.deal.choices = {
        "": [(None, _("— no deal —"))],
        _("Open deals"): [(d.id, f"{d.name} ({d.external_id})") for d in deals if d.outcome == "open"],
        _("Won or lost deals"): [(d.id, f"{d.name} ({d.external_id})") for d in deals if d.outcome != "open"],
    }
    stages = taxonomy_services.tags_of_kind(TagKind.STAGE)
    form.stage.choices = [("", _("— no stage —"))] + [(t.key, t.name_in(locale)) for t in stages]
    if with_language:
        form.language.choices = [("", _("Detect automatically"))] + calls.language_choices()
        form.quality.choices = calls.quality_choices()
        form.speakers.choices = calls.speaker_count_choices()


@bp.get("/")
@login_required
def index():
    status = request.args.get("status")
    pagination = calls.list_calls(current_user, page=query_int(request.args, "page", 1),
                                  status=CallStatus(status) if status in set(CallStatus) else None)
    counts = calls.bite_counts(c.id for c in pagination.items)
    manageable = {c.id for c in pagination.items if calls.can_manage(current_user, c)}
    from enable.sources import services as sources  # the capability above calls that brings recordings in

    return render_template("calls/index.html", pagination=pagination, counts=counts, status=status,
                           statuses=list(CallStatus), manageable=manageable,
                           can_upload=current_user.has_role(Role.MANAGER),
                           import_progress=sources.import_progress(utcnow())
                           if current_user.has_role(Role.MANAGER) else None)


@bp.route("/upload", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def upload():
    form = UploadForm()
    _fill_choices(form, with_language=True)
    if form.validate_on_submit():
        files = [f for f in request.files.getlist(form.files.name) if f and f.filename]
        if not files:
            form.files.errors.append(_("Choose at least one recording."))
        else:
            return _accept(form, files)
    status = 422 if request.method == "POST" else 200
    return _upload_page(form), status


def _upload_page(form: UploadForm) -> str:
    return render_template("calls/upload.html", form=form, max_mb=current_app.config["MAX_UPLOAD_MB"],
                           language_note=calls.language_note())


def _accept(form: UploadForm, files: list):
    details = calls.CallDetails(title="", rep_id=form.rep.data, deal_id=form.deal.data,
                                call_date=form.call_date.data, stage=form.stage.data or None,
                                language=form.language.data or None, quality=form.quality.data or None,
                                speakers=form.speakers.data or None)
    try:
        calls.check_details(details)
    except UserError as e:
        flash(e.message, "error")
        return _upload_page(form), 422
    new_ids, full = [], False
    for storage in files:
        title = form.title.data.strip() if form.title.data else ""
        details.title = f"{title} — {storage.filename}" if title and len(files) > 1 else title
        try:
            result = calls.accept_upload(storage.stream, storage.filename, details, current_user)
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
            if isinstance(e, StorageFull):  # the next files would not fit either
                full = True
                break
            continue
        db.session.commit()
        call = result.call
        if not result.created:
            flash(_("%(name)s was uploaded before, as “%(title)s” (%(status)s).", name=storage.filename,
                    title=call.title, status=call.status.label), "info")
        elif call.status == CallStatus.FAILED:  # stored, but not a recording: the list shows it with the reason
            flash(_("%(name)s was refused: %(why)s", name=storage.filename, why=call.error_text), "error")
        else:
            new_ids.append(call.id)
    waiting = [call_id for call_id in new_ids if not pipeline.queue_call(call_id)]
    if new_ids:
        flash(ngettext("%(num)d recording uploaded; it is being transcribed.",
                       "%(num)d recordings uploaded; they are being transcribed.", len(new_ids)), "success")
    if waiting:
        flash(_("The server's disk is full, so %(n)d of them wait to be queued; they are transcribed once it has "
                "room. Ask your admin to free disk space.", n=len(waiting)), "error")
    if full:
        return render_template("calls/upload.html", form=form, max_mb=current_app.config["MAX_UPLOAD_MB"]), 507
    return redirect(url_for("calls.index"))


@bp.get("/status")
@login_required
def status():
    ids = [i for x in request.args.get("ids", "").split(",")[:200] if (i := parse_id(x)) is not None]
    return jsonify({"calls": calls.call_statuses(current_user, ids)})


@bp.get("/<int:call_id>")
@login_required
def detail(call_id: int):
    call = calls.load_call_page(call_id)
    if call is None or not calls.can_view(current_user, call):
        abort(404)
    transcript, problem = calls.ready_transcript(call)
    stage = calls.stage_tag(call.stage) if call.stage else None
    can_manage = calls.can_manage(current_user, call)
    from enable.sources import services as sources  # the capability above calls that brings recordings in

    return render_template(
        "calls/detail.html", call=call, deal_reason=sources.deal_match_reason(call),
        participants=sources.participants(call.id), turns=calls.transcript_turns(transcript) if transcript else [],
        stats=calls.readable_stats(call), can_manage=can_manage,
        unnamed_speakers=voices.unnamed_speakers(transcript) if can_manage else [],
        has_captions=transcript is not None, speaker_label=calls.speaker_label, language_label=calls.language_label,
        transcript_missing=problem == calls.MISSING, transcript_unreadable=problem != calls.MISSING and problem,
        can_transcribe_again=problem is not None and calls.has_recording(call),
        stage_name=stage.name_in(str(current_user.locale or "en")) if stage else call.stage,
        bite_endpoint="bites.detail" if "bites.detail" in current_app.view_functions else None,
    )


@bp.route("/<int:call_id>/edit", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def edit(call_id: int):
    call = db.get_or_404(Call, call_id)
    calls.require_manage(current_user, call)
    form = EditCallForm(obj=call, rep=call.rep_id, deal=call.deal_id, stage=call.stage or "")
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            stage_changed = calls.update_call(call, current_user, title=form.title.data or "", rep_id=form.rep.data,
                                              deal_id=form.deal.data, call_date=form.call_date.data,
                                              stage=form.stage.data or None)
        except UserError as e:
            flash(e.message, "error")
        else:
            if stage_changed:
                bite_services.apply_call_stage(call)
            db.session.commit()
            if call.status == CallStatus.READY:
                indexing.index_call(call.id)
            flash(_("Call saved."), "success")
            return redirect(url_for("calls.detail", call_id=call.id))
    return render_template("calls/edit.html", form=form, call=call), 422 if request.method == "POST" else 200


@bp.post("/<int:call_id>/speakers/<speaker>/rep")
@role_required(Role.MANAGER)
def confirm_rep(call_id: int, speaker: str):
    """One click on a one-channel call: this speaker is the call's rep (the others are customers)."""
    call = db.get_or_404(Call, call_id)
    calls.require_manage(current_user, call)
    try:
        transcript = voices.confirm_rep(call, speaker, current_user)
        bite_services.replace_bites(call, transcript, bite_services.load_taxonomy())
        voices.save_transcript(call, transcript)  # last before the commit: a failure above leaves the file as it was
    except UserError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("calls.detail", call_id=call_id))
    db.session.commit()
    indexing.index_call(call.id)
    flash(_("%(speaker)s is now the rep, %(name)s; the transcript, bites and figures say so.",
            speaker=calls.speaker_label(speaker), name=call.rep.name if call.rep else ""), "success")
    return redirect(url_for("calls.detail", call_id=call.id))


@bp.post("/<int:call_id>/retry")
@role_required(Role.MANAGER)
def retry(call_id: int):
    call = db.get_or_404(Call, call_id)
    calls.retry_call(call, current_user)
    db.session.commit()
    pipeline.queue_call(call.id)
    flash(_("“%(title)s” is queued again.", title=call.title), "success")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("calls.index"))


@bp.post("/<int:call_id>/delete")
@role_required(Role.MANAGER)
def delete(call_id: int):
    call = db.get_or_404(Call, call_id)
    title = call.title
    files = calls.delete_call(call, current_user)
    db.session.commit()
    pipeline.forget_call(files)
    flash(_("“%(title)s” was deleted with its bites.", title=title), "success")
    return redirect(url_for("calls.index"))


@bp.get("/<int:call_id>/media")
@login_required
def media(call_id: int):
    call = db.get_or_404(Call, call_id)
    if not calls.can_view(current_user, call):
        abort(404)
    try:
        path = calls.media_file(call)
    except calls.MediaOutsideFolder:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=call.content_type or "application/octet-stream", conditional=True,
                         etag=call.sha256, download_name=f"call-{call.id}{path.suffix}")
    return _privately_cached(response)


@bp.get("/<int:call_id>/captions.vtt")
@login_required
def vtt(call_id: int):
    call = db.get_or_404(Call, call_id)
    if not calls.can_view(current_user, call):
        abort(404)
    path = calls.transcript_store().vtt_path(call.id)
    if not path.is_file():
        abort(404)
    return _privately_cached(send_file(path, mimetype="text/vtt", conditional=True))


def _privately_cached(response: Response) -> Response:
    """Only the user's own browser may keep a recording or its captions, and asks again (a 304 by its ETag) before
    reusing them, so a deleted call or a lost permission is not served from a cache; range requests work as before."""
    response.cache_control.public = False
    response.cache_control.max_age = None
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


def _same_site(url: str | None) -> bool:
    return url is not None and url.startswith(request.host_url)
