"""Recordings announced by webhooks: Zoom's `recording.completed` (ZOOM_WEBHOOK_SECRET_TOKEN) and a generic signed
"recording ready" (RECORDING_WEBHOOK_SECRET). An event is checked (signature, age), becomes a source file waiting
for its download (once per recording: the same event twice is one source), and the download job fetches it through
the outbound guard and makes a call of it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from enable import netguard, reasons
from enable.calls import services as calls
from enable.db import utcnow
from enable.errors import StorageFull, is_disk_full
from enable.extensions import db
from enable.sources import services, signing
from enable.sources.download import DownloadFailed, fetch
from enable.sources.metadata import RecordingMeta, meta_from_mapping
from enable.sources.models import SourceFile, SourceStatus

log = logging.getLogger(__name__)

ZOOM_AUDIO_FIRST = ("audio_only", "shared_screen_with_speaker_view", "active_speaker", "speaker_view",
                    "shared_screen_with_gallery_view", "gallery_view", "shared_screen")
MAX_ATTEMPTS = 4
RETRY_S = 300
LEASE_S = 3600  # a download job holds its source this long (a worker that died mid-download frees it after)


@dataclass(frozen=True)
class Answer:
    """What the receiver answers: an HTTP status and a JSON body; `source_id` is set when a download is due."""

    status: int
    body: dict[str, Any]
    source_id: int | None = None


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _signed_body(setting: str, verify: Callable[[str, bytes, str, str], bool], name: str, off: str, body: bytes,
                 timestamp: str, signature: str) -> tuple[str, dict[str, Any]] | Answer:
    """The secret and the JSON object of a signed webhook request, or the answer refusing it: 404 when `setting`
    holds no secret (the source is off), 401 for a bad or old signature, 400 for a body that is no JSON object."""
    secret = str(current_app.config.get(setting) or "")
    if not secret:
        return Answer(404, {"error": off})
    if not verify(secret, body, timestamp, signature):
        log.warning("%s refused: bad or old signature", name)
        return Answer(401, {"error": "invalid signature"})
    data = _json(body)
    if data is None:
        return Answer(400, {"error": "the body is not a JSON object"})
    return secret, data


def zoom_event(body: bytes, timestamp: str, signature: str) -> Answer:
    """Answer one Zoom webhook request: 404 when Zoom is not configured, 401 for a bad or old signature, the
    validation answer for `endpoint.url_validation`, and for `recording.completed` a source waiting for download."""
    checked = _signed_body("ZOOM_WEBHOOK_SECRET_TOKEN", signing.zoom_verify, "zoom webhook",
                           "Zoom recordings are not enabled on this site", body, timestamp, signature)
    if isinstance(checked, Answer):
        return checked
    secret, data = checked
    event = data.get("event")
    payload: dict[str, Any] = data["payload"] if isinstance(data.get("payload"), dict) else {}
    if event == "endpoint.url_validation":
        plain = str(payload.get("plainToken", ""))
        return Answer(200, {"plainToken": plain, "encryptedToken": signing.zoom_encrypted_token(secret, plain)})
    if event != "recording.completed":
        return Answer(200, {"ignored": str(event)[:60]})
    meeting: dict[str, Any] = payload["object"] if isinstance(payload.get("object"), dict) else {}
    chosen = _zoom_file(meeting.get("recording_files"))
    if chosen is None:
        return Answer(200, {"ignored": "no audio or video recording in the event"})
    token = str(data.get("download_token") or payload.get("download_token") or "")
    meta = meta_from_mapping({"title": meeting.get("topic"), "rep_email": meeting.get("host_email"),
                              "date": chosen.get("recording_start") or meeting.get("start_time")})
    people = [{"email": meeting.get("host_email"), "name": None}]
    for person in meeting.get("participants") or []:  # not in Zoom's event; an enriching relay may add them
        if isinstance(person, dict):
            people.append({"email": person.get("user_email") or person.get("email"),
                           "name": person.get("user_name") or person.get("name")})
    for audio in meeting.get("participant_audio_files") or []:  # one file per speaker when enabled: names only
        if isinstance(audio, dict) and audio.get("file_name"):
            people.append({"email": None, "name": Path(str(audio["file_name"])).stem})
    meta.participants = meta_from_mapping({"participants": people}).participants
    suffix = str(chosen.get("file_extension") or chosen.get("file_type") or "mp4").lower()
    name = f"{meta.title or 'Zoom meeting'}.{suffix}"
    return _announce("zoom", f"zoom:{chosen.get('id') or meeting.get('uuid')}", name, str(chosen["download_url"]),
                     token, meta)


def _zoom_file(files: Any) -> dict[str, Any] | None:
    """The recording file to transcribe: audio only when there is one, else a video with sound."""
    usable = [f for f in files or [] if isinstance(f, dict) and f.get("download_url")
              and str(f.get("file_type", "")).upper() in ("M4A", "MP4")
              and str(f.get("status", "completed")).lower() == "completed"]
    if not usable:
        return None

    def rank(f: dict[str, Any]) -> int:
        kind = str(f.get("recording_type", ""))
        return ZOOM_AUDIO_FIRST.index(kind) if kind in ZOOM_AUDIO_FIRST else len(ZOOM_AUDIO_FIRST)

    return min(usable, key=rank)


def recording_ready(body: bytes, timestamp: str, signature: str) -> Answer:
    """Answer a generic "recording ready" request: {"id", "url", optional "token" (sent as a bearer token),
    "filename" and the metadata keys of a sidecar}."""
    checked = _signed_body("RECORDING_WEBHOOK_SECRET", signing.verify, "recording webhook",
                           "the recording webhook is not enabled on this site", body, timestamp, signature)
    if isinstance(checked, Answer):
        return checked
    _secret, data = checked
    url, ident = str(data.get("url") or ""), str(data.get("id") or "")
    if not url or not ident:
        return Answer(400, {"error": "give the recording's url and a unique id"})
    try:
        netguard.parse(url)
    except netguard.InvalidAddress as e:
        return Answer(400, {"error": e.message})
    meta = meta_from_mapping(data)
    name = calls.display_filename(str(data.get("filename") or "")) or Path(url.split("?")[0]).name or "recording"
    return _announce("webhook", f"webhook:{ident[:180]}", name, url, str(data.get("token") or ""), meta)


def _announce(origin: str, external_id: str, name: str, url: str, token: str, meta: RecordingMeta) -> Answer:
    existing = db.session.scalar(select(SourceFile).where(SourceFile.external_id == external_id))
    if existing is not None:  # Zoom retries and resends: one recording, one call
        return Answer(200, {"source": existing.id, "status": existing.status.value})
    try:
        with db.session.begin_nested():  # the same event delivered twice at once: one insert wins
            source = services.new_source(origin, name, external_id=external_id,
                                         details={"url": url, "token": token, "meta": meta.as_dict()})
    except IntegrityError:
        existing = db.session.scalar(select(SourceFile).where(SourceFile.external_id == external_id))
        if existing is None:
            raise
        return Answer(200, {"source": existing.id, "status": existing.status.value})
    services.set_fate(source, SourceStatus.DOWNLOADING)
    return Answer(202, {"source": source.id, "status": source.status.value}, source.id)


def download_and_import(source_id: int) -> tuple[int | None, float | None]:
    """Fetch an announced recording and make a call of it; commits. (the new call's id to queue, or None; the
    seconds after which to try again, or None)."""
    if not claim(source_id):  # done, or another job is downloading it (a consumer start queues it again)
        return None, None
    source = db.session.get(SourceFile, source_id)
    if source is None or source.status != SourceStatus.DOWNLOADING:
        return None, None
    details = dict(source.details or {})
    attempts = int(details.get("attempts", 0)) + 1
    source.details = {**details, "attempts": attempts}
    db.session.commit()
    cfg = current_app.config
    folder = Path(cfg["ENABLE_DATA_DIR"]) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{source.id}{Path(source.name).suffix.lower()[:8]}"
    meta = _meta_from(details.get("meta") or {})
    retry: float | None = None
    try:
        fetch(str(details.get("url")), dest, bearer=details.get("token") or None,
              timeout_s=float(cfg["WEBHOOK_TIMEOUT_S"]) * 6, max_bytes=int(cfg["MAX_UPLOAD_MB"]) * 1024 * 1024,
              private_ok=bool(cfg.get("WEBHOOK_ALLOW_PRIVATE")))
        status = services.import_recording(dest, source, meta)
    except (DownloadFailed, StorageFull) as e:
        db.session.rollback()
        retry = RETRY_S if attempts < MAX_ATTEMPTS else None
        _after_failure(source_id, e.message, retry)
        return None, retry
    except netguard.InvalidAddress as e:
        db.session.rollback()
        _after_failure(source_id, e.message, None)
        return None, None
    except calls.MediaRefused as e:
        db.session.rollback()
        _after_failure(source_id, e.message, None)
        return None, None
    except Exception as e:
        if not is_disk_full(e):
            raise
        db.session.rollback()
        _after_failure(source_id, reasons.text("call.disk_full", {}), RETRY_S if attempts < MAX_ATTEMPTS else None)
        return None, RETRY_S if attempts < MAX_ATTEMPTS else None
    finally:
        dest.unlink(missing_ok=True)
    source.details = {k: v for k, v in (source.details or {}).items() if k != "token"}  # a secret, spent
    source.stable_since = None  # the lease, no longer needed
    db.session.commit()
    new = status in (SourceStatus.IMPORTED, SourceStatus.UNASSIGNED)
    return (source.call_id if new else None), None


def claim(source_id: int) -> bool:
    """Take the download of one source for this job, atomically; commits. True when this job holds it now: the
    source is still downloading and no other job holds it (its lease, kept in `stable_since` as "held until", is
    unset or past). A second job for the same recording gets False and leaves it alone."""
    now = utcnow()
    taken = db.session.execute(
        update(SourceFile).where(SourceFile.id == source_id, SourceFile.status == SourceStatus.DOWNLOADING,
                                 or_(SourceFile.stable_since.is_(None), SourceFile.stable_since <= now))
        .values(stable_since=now + timedelta(seconds=LEASE_S)).execution_options(synchronize_session=False))
    db.session.commit()
    return bool(getattr(taken, "rowcount", 0) == 1)


def held_until(source_id: int) -> float | None:
    """Seconds until another job's lease on this download runs out (None: nobody holds it)."""
    until = db.session.scalar(select(SourceFile.stable_since).where(SourceFile.id == source_id))
    if until is None:
        return None
    left = (until - utcnow()).total_seconds()
    return left if left > 0 else None


def _after_failure(source_id: int, reason: str, retry_s: float | None) -> None:
    source = db.session.get(SourceFile, source_id)
    if source is None:
        return
    # the lease: nobody takes it before half the wait (the retry scheduled at retry_s surely can; a consumer
    # starting meanwhile schedules it at the lease's end, and whichever comes second finds it taken or done)
    source.stable_since = utcnow() + timedelta(seconds=retry_s / 2) if retry_s is not None else None
    if retry_s is not None:
        services.set_fate(source, SourceStatus.DOWNLOADING,
                          _("%(why)s Tried again in %(minutes)s minutes.", why=reason, minutes=int(retry_s // 60)))
    else:
        source.details = {k: v for k, v in (source.details or {}).items() if k != "token"}
        services.set_fate(source, SourceStatus.FAILED, reason)
    db.session.commit()
    log.warning("source %s: download failed (%s)%s", source_id, reason, "; retried later" if retry_s else "")


def _meta_from(stored: dict[str, Any]) -> RecordingMeta:
    meta = meta_from_mapping({k: v for k, v in stored.items() if k not in ("call_date", "started_at", "ignored")})
    meta.deal_external_id = stored.get("deal_external_id")
    when = stored.get("started_at") or stored.get("call_date")
    if when:
        with_date = meta_from_mapping({"date": when})
        meta.started_at, meta.call_date = with_date.started_at, with_date.call_date
    return meta
