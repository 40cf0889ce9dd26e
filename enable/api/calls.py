"""Calls: upload (multipart, like the upload page), list, get, status with progress, delete, and the transcript."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from enable import pipeline
from enable.api.core import (
    JSON,
    LIST_PARAMS,
    MAX_ID,
    ApiError,
    Body,
    Param,
    Reply,
    arg_choice,
    invalid,
    list_of,
    not_found,
    ok,
    operation,
    page,
    page_of_keyset,
    page_window,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import BOOL, DAY_IN, INT, NUM, STR, bite_json, call_json, null, obj
from enable.auth.models import Role
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.errors import UserError
from enable.extensions import db
from enable.reasons import N_
from enable.transcription.types import Transcript
from enable.transcription.vtt import to_srt as captions_srt
from enable.transcription.vtt import to_webvtt

TAG = N_("Calls")
STATUSES = [s.value for s in CallStatus]
CALL_REF = {"$ref": "#/components/schemas/Call"}
FORMATS = {"json": JSON, "vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain"}


@operation("GET", "/calls", role=Role.REP, tag=TAG, summary=N_("List your calls and your team's"),
           params=[Param("status", {"type": "string", "enum": STATUSES}, N_("Only calls in this state.")),
                   *LIST_PARAMS],
           replies={200: ok(list_of(CALL_REF))},
           description=N_("Newest first: enablement and admins see every call, others their own (as rep or uploader) "
                          "and their team's."))
def calls_list():
    status = arg_choice("status", STATUSES)

    def render(found: list[Call]) -> list[dict[str, Any]]:
        counts = calls.bite_counts(c.id for c in found)
        return [call_json(c, counts.get(c.id, 0)) for c in found]

    stmt = calls.calls_select(user(), CallStatus(status) if status else None)
    return reply(page_of_keyset(stmt, (Call.created_at, Call.id), render))


UPLOAD = obj({
    "file": {"type": "string", "format": "binary", "description": N_("The recording (audio or video).")},
    "title": {"type": "string", "maxLength": 200},
    "rep_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
               "description": N_("The user who is the rep on the call.")},
    "deal_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": N_("The deal the call belongs to.")},
    "call_date": DAY_IN,
    "stage": {"type": "string", "maxLength": 60, "description": N_("A stage tag key of the taxonomy.")},
    "language": {"type": "string", "maxLength": 10,
                 "description": N_("Language spoken: auto (or left out) to identify it, or a code the installed speech "
                                   "models handle (TRANSCRIPTION_LANGUAGES: en, ru by default).")},
    "quality": {"type": "string", "enum": ["fast", "accurate"],
                "description": N_("Transcription quality; leave out for the site's TRANSCRIPTION_QUALITY.")},
    "speakers": {"type": "string", "pattern": "^(auto|[1-6])$",
                 "description": N_("How many people talk on the call (1-6), told apart by voice on a one-channel "
                                   "recording; auto (or left out) finds the number from the voices.")},
}, required=["file"])


def _form_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not 1 <= int(raw) <= MAX_ID:
        raise invalid(_("“%(name)s” must be a whole number.", name=name))
    return int(raw)


def _details() -> calls.CallDetails:
    title = (request.form.get("title") or "").strip()
    if len(title) > 200:
        raise invalid(_("The title may have at most %(n)d characters.", n=200))
    raw_date = (request.form.get("call_date") or "").strip()
    try:
        call_date = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        raise invalid(_("“%(value)s” is not a date (use YYYY-MM-DD).", value=raw_date[:20])) from None
    language = (request.form.get("language") or "").strip().lower() or None
    if language == "auto":
        language = None
    if language and language not in {code for code, _name in calls.language_choices()}:
        raise ApiError(422, "invalid", _("The speech model cannot be asked for the language “%(code)s”.",
                                         code=language[:10]))
    stage = (request.form.get("stage") or "").strip() or None
    details = calls.CallDetails(title=title, rep_id=_form_int("rep_id"), deal_id=_form_int("deal_id"),
                                call_date=call_date, stage=stage, language=language,
                                quality=(request.form.get("quality") or "").strip().lower() or None,
                                speakers=(request.form.get("speakers") or "").strip()[:10] or None)
    try:
        return calls.check_details(details)
    except UserError as e:  # well-formed, but no such rep, deal or stage here
        raise ApiError(422, "invalid", e.message) from e


@operation("POST", "/calls", role=Role.MANAGER, tag=TAG, summary=N_("Upload a recording"),
           body=Body(UPLOAD, "multipart/form-data"),
           replies={201: ok(obj({"call": CALL_REF, "created": {"type": "boolean"}}), N_("Stored and queued; a file "
                            "that is not a recording is stored as a failed call with the reason.")),
                    200: ok(obj({"call": CALL_REF, "created": {"type": "boolean"}}),
                            N_("The same file was uploaded before: its call.")),
                    413: Reply(N_("The file is larger than MAX_UPLOAD_MB."),
                               {JSON: {"$ref": "#/components/schemas/Error"}}),
                    507: Reply(N_("The server's disk is full: nothing was stored."),
                               {JSON: {"$ref": "#/components/schemas/Error"}})},
           description=N_("The same checks as the upload page: size limit, content sniffing, longest call, known rep,"
                          " deal and stage."))
def calls_upload():
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise invalid(_("Send the recording as the multipart field “file”, with a file name."))
    details = _details()
    result = calls.accept_upload(storage.stream, storage.filename, details, user())
    db.session.commit()
    call = result.call
    if result.created and call.status != CallStatus.FAILED:
        pipeline.queue_call(call.id)  # a full queue storage: queued as soon as it has room
        db.session.refresh(call)
    return reply({"call": call_json(call, calls.bite_counts([call.id]).get(call.id, 0)), "created": result.created},
                 201 if result.created else 200)


def _call(call_id: int) -> Call:
    call = calls.load_call_page(call_id)
    if call is None or not calls.can_view(user(), call):
        raise not_found(_("This call does not exist."))
    return call


@operation("GET", "/calls/<int:call_id>", role=Role.REP, tag=TAG, summary=N_("Get a call"),
           replies={200: ok(CALL_REF)},
           description=N_("As on the site: any signed-in person may open a call of the library (ready); one still "
                          "processing or failed, those whose calls list shows it."))
def calls_get(call_id: int):
    call = _call(call_id)
    return reply(call_json(call, len(call.bites)))


STATUS = obj({"id": INT, "status": {"type": "string", "enum": STATUSES}, "label": STR, "active": {"type": "boolean"},
              "progress": NUM, "error": null(STR), "bites": INT})


@operation("GET", "/calls/<int:call_id>/status", role=Role.MANAGER, tag=TAG,
           summary=N_("Processing status and progress"),
           replies={200: ok(STATUS)},
           description=N_("Where the call is in the pipeline; progress runs from 0 to 1 while it is transcribed."))
def calls_status(call_id: int):
    found = calls.call_statuses(user(), [call_id])
    if not found:
        raise not_found(_("This call does not exist or is not one you manage."))
    return reply(found[0])


@operation("GET", "/calls/<int:call_id>/bites", role=Role.REP, tag=TAG, summary=N_("The bites of a call"),
           params=LIST_PARAMS, replies={200: ok(list_of({"$ref": "#/components/schemas/Bite"}))})
def calls_bites(call_id: int):
    call = _call(call_id)
    offset, limit = page_window()
    return page(call.bites, bite_json, offset=offset, limit=limit)


@operation("DELETE", "/calls/<int:call_id>", role=Role.MANAGER, tag=TAG, summary=N_("Delete a call with its bites"),
           replies={204: Reply(N_("Deleted."))})
def calls_delete(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None:
        raise not_found(_("This call does not exist."))
    files = calls.delete_call(call, user())
    db.session.commit()
    pipeline.forget_call(files)
    return Response(status=204)


TRANSCRIPT = obj({
    "language": STR, "duration_s": NUM, "model": STR, "channels": INT,
    "speakers": {"type": "array", "items": STR},
    "segments": {"type": "array", "items": obj({"start": NUM, "end": NUM, "text": STR, "speaker": null(STR),
                                                "words": {"type": "array", "items": {"type": "object"}},
                                                "language": STR, "unsupported_language": BOOL,
                                                "overlap": {**BOOL, "description": N_("A backchannel said inside "
                                                            "another speaker's turn.")}},
                                               required=["start", "end", "text", "speaker", "words"])},
}, required=["language", "duration_s", "model", "segments"])


def to_srt(transcript: Transcript) -> str:
    """The transcript as SubRip subtitles, speakers named as on the site."""
    return captions_srt(transcript, calls.speaker_label)


def to_text(transcript: Transcript) -> str:
    """The transcript as plain text: one paragraph per turn, with the speaker when known."""
    turns = calls.transcript_turns(transcript)
    return "\n\n".join(f"{calls.speaker_label(t.speaker)}: {t.text}" if t.speaker else t.text for t in turns) + "\n"


@operation("GET", "/calls/<int:call_id>/transcript", role=Role.REP, tag=TAG, summary=N_("The transcript of a call"),
           params=[Param("format", {"type": "string", "enum": list(FORMATS), "default": "json"},
                         N_("json (words with times), vtt (WebVTT), srt (SubRip) or txt (plain text)."))],
           replies={200: Reply(N_("The transcript in the format asked for."), {
               JSON: TRANSCRIPT, "text/vtt": {"type": "string"}, "application/x-subrip": {"type": "string"},
               "text/plain": {"type": "string"}}),
               503: Reply(N_("The call's transcript file is damaged: restore it, or transcribe the call again."),
                          {JSON: {"$ref": "#/components/schemas/Error"}})})
def calls_transcript(call_id: int):
    fmt = arg_choice("format", list(FORMATS), "json") or "json"
    call = db.session.get(Call, call_id)
    if call is None:
        raise not_found(_("This call does not exist."))
    transcript, problem = calls.ready_transcript(call)
    if problem is not None and problem != calls.MISSING:
        raise ApiError(503, "transcript_unreadable", _("The transcript file of this call is damaged and cannot be "
                                                       "read: %(reason)s", reason=problem))
    if transcript is None:
        raise not_found(_("This call has no transcript yet; its status is %(status)s.", status=call.status.label))
    body: Any
    if fmt == "json":
        return reply(transcript.to_dict())
    body = {"vtt": to_webvtt, "srt": to_srt, "txt": to_text}[fmt](transcript)
    return Response(body, mimetype=FORMATS[fmt], headers={"Content-Disposition": f'inline; filename="call-{call.id}.'
                                                                                   f'{fmt}"'})

