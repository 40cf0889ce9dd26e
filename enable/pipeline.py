"""The ingest pipeline, and the only place that knows its order.

process_call(call_id), a Huey job:
  0 claim the call (queued -> transcribing), atomically, so a call is processed by one worker at a time
  1 probe its file again (not a recording: failed with the reason), then transcribe it (faster-whisper;
    progress committed every few seconds)
  2 write the transcript to the store (<call id>.json + .vtt, atomically)
  3 cut it into tagged bites, replacing old bites in the same transaction (slicing)
  4 put the bites in the search index (indexing)
  5 ready, or failed with the reason

A worker killed mid-way leaves the call in a running state; the next consumer to start finds it
(`requeue_interrupted`) and queues it again, up to MAX_ATTEMPTS times. Re-running a call replaces
its bites in one commit, so it never has half-written or duplicate bites; bites whose time range is
unchanged keep their ids and what people did with them (see bites.services.replace_bites).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from enable import deferred_writes, events
from enable.bites import services as bite_services
from enable.bites.models import Bite
from enable.calls import services as call_services
from enable.calls import voices as call_voices
from enable.calls.models import Call, CallStatus, error_columns
from enable.db import utcnow
from enable.errors import UserError, is_disk_full
from enable.extensions import db
from enable.queue import job, on_consumer_start
from enable.reasons import Reason, reason
from enable.search import indexing
from enable.taxonomy import services as taxonomy_services
from enable.transcription.errors import RecordingTooLong, TranscriptionError
from enable.transcription.models import is_multilingual
from enable.transcription.routing import LanguageRouter
from enable.transcription.speaker_model import SpeakerEmbedder, SpeakerModelUnavailable
from enable.transcription.speakers import channel_voice, label_speakers_with_voices
from enable.transcription.types import Transcript
from enable.transcription.voiceprint import MAX_PROFILE_S

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
HEARTBEAT_S = 3.0  # how often transcription progress is committed, seconds

Progress = Callable[[str, float], None]  # (status, fraction 0..1), for the CLI's progress bar


class LostClaim(Exception):
    """Another worker has taken this call over (this one was presumed dead); stop without writing."""


# One speech model per process, loaded on first use and shared by every job of the process.
_transcribers: dict[tuple[str, ...], LanguageRouter] = {}
_transcribers_lock = threading.Lock()
_identity: tuple[int, str] | None = None


def get_transcriber() -> LanguageRouter:
    """The transcriber for the configured models (WHISPER_MODEL, WHISPER_DEVICE, WHISPER_COMPUTE_TYPE,
    TRANSCRIPTION_QUALITY, TRANSCRIPTION_LANGUAGES), cached."""
    cfg = current_app.config
    key = (str(cfg["WHISPER_MODEL"]), str(cfg["WHISPER_DEVICE"]), str(cfg["WHISPER_COMPUTE_TYPE"]),
           str(cfg["MODEL_CACHE_DIR"]), str(cfg["TRANSCRIPTION_QUALITY"]), str(cfg["TRANSCRIPTION_LANGUAGES"]))
    with _transcribers_lock:
        transcriber = _transcribers.get(key)
        if transcriber is None:
            transcriber = _transcribers[key] = LanguageRouter(model=key[0], device=key[1], compute_type=key[2],
                                                              cache_dir=Path(key[3]), quality=key[4],
                                                              supported=key[5])
        return transcriber


_embedders: dict[str, SpeakerEmbedder] = {}


def get_speaker_embedder() -> SpeakerEmbedder | None:
    """The speaker-embedding model of SPEAKER_MODEL, cached per process; None when speakers are not wanted."""
    name = str(current_app.config["SPEAKER_MODEL"] or "").strip()
    if name.lower() in ("", "none"):
        return None
    with _transcribers_lock:
        embedder = _embedders.get(name)
        if embedder is None:
            embedder = _embedders[name] = SpeakerEmbedder(name)
        return embedder


def worker_identity() -> str:
    """host:pid:token of this process; the token tells a restarted process from the one that had its pid."""
    global _identity
    if _identity is None or _identity[0] != os.getpid():
        _identity = (os.getpid(), secrets.token_hex(4))
    return f"{socket.gethostname()}:{_identity[0]}:{_identity[1]}"


@job()
def process_call(call_id: int) -> None:
    """Transcribe, slice, tag and index one call (a background job)."""
    if not current_app.config["JOBS_IMMEDIATE"]:  # inline jobs run in a request's or a command's thread
        yield_cpu_to_requests(int(current_app.config["WORKER_NICE"]))
    try:
        ingest_call(call_id)
    except Exception as e:  # the claim could not be written: the call would wait, queued, for a restart
        db.session.rollback()
        if not is_disk_full(e):
            raise
        log.error("call %s could not be claimed (%s); its job is queued again once there is room", call_id, e)
        deferred_writes.retry_later(("job of call", call_id), lambda: process_call(call_id))


def _lower(tid: int, niceness: int) -> None:
    """Lower one thread's CPU priority by `niceness` (at most to 19); with 20 or more: SCHED_IDLE, which runs
    only when no other thread of the machine wants the CPU."""
    if niceness >= IDLE_NICE and hasattr(os, "sched_setscheduler"):
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
    os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))


def yield_cpu_to_requests(niceness: int) -> None:
    """Lower this thread's CPU priority, once, so that transcription sharing a machine with the site
    leaves the cores to web requests first.

    Linux gives each thread its own nice value, and a thread starts with its creator's: threads this one
    starts later inherit it, but not those that exist already. The speech model's threads (CTranslate2's
    pool, started when the model is loaded, onnxruntime's for voice detection) are started by the first
    job's thread, so this must run before the model is loaded in this thread; a job consumer started from a
    lowered thread has every worker thread lowered from the start. `lower_process_priority` lowers a whole
    process instead (`flask worker`). Does nothing where priorities are not offered, or a second time."""
    if niceness <= 0 or not hasattr(os, "setpriority") or _jobs_lowered or getattr(_niced, "done", False):
        return
    try:
        _lower(threading.get_native_id(), niceness)
    except OSError as exc:  # not permitted here: run at normal priority
        log.info("could not lower the worker's CPU priority: %s", exc)
    _niced.done = True


def lower_process_priority(niceness: int, *, keep_calling_thread: bool = False) -> None:
    """Lower the CPU priority of every thread of this process (a process that only runs jobs), once.

    Run it at start, before the speech model is loaded: threads started afterwards inherit the priority
    of the thread that starts them. Threads that libraries started at import (numpy's BLAS pool, which
    computes the audio features; onnxruntime's) are lowered too: they do transcription work. With
    `keep_calling_thread` (`flask serve`, from its main thread before it starts any other) every thread but
    the caller is lowered: the library pools, which no web request uses."""
    global _jobs_lowered
    if niceness <= 0 or not hasattr(os, "setpriority") or _jobs_lowered:
        return
    me = threading.get_native_id()
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: the calling thread (the main one, at start) is the one to lower
        tids = [me]
    for tid in tids:
        if keep_calling_thread and tid == me:
            continue
        try:
            _lower(tid, niceness)
        except ProcessLookupError:  # ended meanwhile
            continue
        except OSError as exc:
            log.info("could not lower the worker's CPU priority: %s", exc)
            return
    if not keep_calling_thread:
        _jobs_lowered = True
        log.info("jobs run at lower CPU priority (WORKER_NICE=%d)", niceness)


def lower_consumer_priority(niceness: int) -> None:
    """Lower the calling thread, which is about to start a job consumer inside the web process (`flask serve`),
    and warm the speech model from it: the consumer's worker threads and the model's own threads all start
    from here and inherit the lower priority, while the web request threads keep theirs. Runs in an app context."""
    global _jobs_lowered
    if niceness > 0 and hasattr(os, "setpriority"):
        try:
            _lower(threading.get_native_id(), niceness)
            _jobs_lowered = True
        except OSError as exc:
            log.info("could not lower the job consumer's CPU priority: %s", exc)
    try:
        get_transcriber().load()
    except Exception:  # the first job reports it to the user; the site keeps running
        log.exception("could not load the speech model in advance")


IDLE_NICE = 20  # WORKER_NICE from here on: SCHED_IDLE (and nice 19)
_niced = threading.local()
_jobs_lowered = False


def ingest_call(call_id: int, progress: Progress | None = None, transcript: Transcript | None = None) -> Call | None:
    """Run the pipeline on a queued call; with `transcript`, skip transcription (sample calls).

    Returns the call when this process processed it, None when it was not queued (done, or taken by another job).
    """
    call = _claim(call_id)
    if call is None:
        log.info("call %s is not queued; nothing to do", call_id)
        return None
    started = time.monotonic()
    try:
        if transcript is None:
            transcript = _transcribe(call, progress)
        _store(call, transcript)
        if not transcript.segments:
            raise UserError.because(reason("call.no_speech"))
        _advance(call_id, status=CallStatus.SLICING, progress=1.0)
        _notify(progress, CallStatus.SLICING, 1.0)
        call = db.session.get(Call, call_id)
        if call is None:
            raise LostClaim(call_id)
        # Webhooks: bite.created for each bite row the cut inserted (a kept row is the same bite: not news), and
        # bite.removed for each old bite the cut dropped. Rows are told apart as objects, not by id (SQLite may
        # give a new row the id of a deleted one).
        old = {bite: SimpleNamespace(id=bite.id, start_s=bite.start_s, end_s=bite.end_s) for bite in call.bites}
        bites = bite_services.replace_bites(call, transcript, bite_services.load_taxonomy())
        for bite in bites:
            if bite not in old:
                events.emit(events.BITE_CREATED, _bite_event(bite))
        now_cut = set(bites)
        for gone in [snapshot for row, snapshot in old.items() if row not in now_cut]:
            closest = bite_services._closest(gone, bites) if bites else None  # where its references moved
            events.emit(events.BITE_REMOVED, {"bite_id": gone.id, "call_id": call_id, "start_s": gone.start_s,
                                              "end_s": gone.end_s, "replaced_by": getattr(closest, "id", None)})
        _advance(call_id, status=CallStatus.INDEXING)  # same commit as the bites: all or nothing
        _notify(progress, CallStatus.INDEXING, 1.0)
        indexing.index_call(call_id)
        events.emit(events.CALL_TRANSCRIBED, _call_event(call, len(bites)))  # sent once READY commits
        _advance(call_id, status=CallStatus.READY, claimed_by=None)
        _notify(progress, CallStatus.READY, 1.0)
        log.info("call %s ready: %d bites in %.1f s", call_id, len(bites), time.monotonic() - started)
    except LostClaim:
        db.session.rollback()
        log.warning("call %s was deleted or taken over by another worker; this one stops", call_id)
        return None
    except (UserError, TranscriptionError) as e:  # bites not in the index: failed (retry-able), not ready
        why = getattr(e, "reason", None) or getattr(e, "message", None) or str(e)
        _fail(call_id, why, keep_bites=not isinstance(e, indexing.IndexNotWritten))
    except Exception as e:
        log.exception("call %s failed", call_id)
        _fail(call_id, reason("call.disk_full") if is_disk_full(e) else
              reason("call.crashed", kind=type(e).__name__, why=str(e)[:300]))
    return db.session.get(Call, call_id)


def _claim(call_id: int) -> Call | None:
    """Move a queued call to transcribing for this worker, atomically; None when it is not queued."""
    now = utcnow()
    result = db.session.execute(
        update(Call).where(Call.id == call_id, Call.status == CallStatus.QUEUED)
        .values(status=CallStatus.TRANSCRIBING, progress=0.0, **error_columns(None), attempts=Call.attempts + 1,
                claimed_by=worker_identity(), heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(Call, call_id)


def _advance(call_id: int, **values: Any) -> None:
    """Update the call if this worker still holds it, and commit; raise LostClaim otherwise."""
    result = db.session.execute(
        update(Call).where(Call.id == call_id, Call.claimed_by == worker_identity())
        .values(heartbeat_at=utcnow(), **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise LostClaim(call_id)
    db.session.commit()


def _notify(progress: Progress | None, status: CallStatus, fraction: float) -> None:
    if progress is not None:
        progress(status.value, fraction)


def _transcribe(call: Call, progress: Progress | None) -> Transcript:
    call_id = call.id
    path = call_services.media_file(call)
    if not path.exists():
        raise UserError.because(reason("call.media_missing"))
    media = call_services.check_call_media(call)  # a file that is not a recording fails here, with the reason
    if media is not None:  # stored as not media, but it reads now: record what it is
        _advance(call_id, **media)
    language = call.language or None
    cfg = current_app.config
    words = hotwords_for(language, str(cfg["WHISPER_MODEL"]))
    last = [time.monotonic()]

    def on_progress(fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        _notify(progress, CallStatus.TRANSCRIBING, fraction)
        now = time.monotonic()
        if now - last[0] >= HEARTBEAT_S:
            last[0] = now
            _advance(call_id, progress=round(fraction, 4))

    db.session.commit()  # no transaction stays open during the long transcription
    transcriber = get_transcriber()
    started = time.monotonic()
    try:
        transcript = transcriber.transcribe(path, language=language, hotwords=words, progress=on_progress,
                                            rep_channel=int(cfg["REP_CHANNEL"]), quality=call.transcription_quality,
                                            max_s=call_services.max_call_s())
    except RecordingTooLong as e:  # the header said less (or nothing): decoding counted past MAX_CALL_MINUTES
        raise call_services.too_long_when_decoded(call) from e
    log.info("call %s transcribed in %.1f s (%.0f s of audio)", call_id, time.monotonic() - started,
             transcript.duration_s)
    # telling voices apart decodes the recording again: the heartbeat goes on through it
    return _with_speakers(call, path, transcript, alive=lambda: on_progress(1.0))


def _with_speakers(call: Call, path: Path, transcript: Transcript,
                   alive: Callable[[], None] | None = None) -> Transcript:
    """Speakers found by voice on a call whose channels do not tell them, named rep and customer when the rep's
    voice profile recognises one; on a stereo call with a known rep, the rep's channel teaches their profile.
    Without speakers when the model cannot load. Profile and voices are committed with the transcript's record.
    `alive` keeps the worker's heartbeat going through the second decode."""
    embedder = get_speaker_embedder()
    if embedder is None:
        return transcript
    call_id, rep_id, expected = call.id, call.rep_id, call.expected_speakers
    try:
        if transcript.speakers:
            if rep_id is not None and transcript.channels == 2:
                _learn_rep_channel(call_id, rep_id, path, embedder)
            return transcript
        anchor = call_voices.rep_voice(call, embedder.model_name)
        labelled, voices = label_speakers_with_voices(transcript, path, embedder, speakers=expected, alive=alive,
                                                      anchor=anchor)
    except SpeakerModelUnavailable as exc:  # the words matter more than who said them: keep the call going
        log.error("call %s is transcribed without speakers: %s", call_id, exc)
        return transcript
    return call_voices.name_speakers(call, labelled, voices, embedder.model_name)


def _learn_rep_channel(call_id: int, rep_id: int, path: Path, embedder: SpeakerEmbedder) -> None:
    """Fold the voice on the rep's channel of a stereo call into the rep's profile (a complete profile is left)."""
    profile = call_voices.profile_of(rep_id)
    if profile is not None and profile.model == embedder.model_name and (
            profile.seconds >= MAX_PROFILE_S or call_id in (profile.call_ids or [])):
        return  # complete, or learnt from this call already (it is processed again)
    voice = channel_voice(path, embedder, int(current_app.config["REP_CHANNEL"]))
    if voice is None:
        log.info("call %s: too little speech on the rep's channel to learn their voice", call_id)
        return
    call_voices.learn_voice(rep_id, voice, embedder.model_name, call_id)


def hotwords_for(language: str | None, model: str) -> list[str]:
    """The taxonomy's hotwords that suit the language: an English transcription gets only Latin-script names
    (a Russian phrase in the prompt makes a small English model misspell the others), each name once."""
    english = language == "en" or not is_multilingual(model)
    chosen: dict[str, str] = {}
    for word in taxonomy_services.hotwords():
        if english and any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in word):
            continue
        chosen.setdefault(word.casefold(), word)
    return list(chosen.values())


def _store(call: Call, transcript: Transcript) -> None:
    """Write the transcript file and record what it says about the call."""
    call_id = call.id
    try:
        call_services.transcript_store().write(call_id, transcript)
    except OSError as e:  # a full disk, a read-only folder: nothing was replaced; the call fails with the reason
        log.error("call %s: the transcript could not be saved: %s", call_id, e)
        raise UserError.because(reason("call.transcript_not_saved", why=e.strerror or str(e))) from e
    _advance(call_id, detected_language=transcript.language or None, model=(transcript.model or "")[:200] or None,
             duration_s=transcript.duration_s or call.duration_s, stats=transcript.stats or {},
             transcribed_at=utcnow(), progress=1.0)


def _failed_status(call_id: int) -> CallStatus:
    """What a run that failed leaves a call as: failed, or ready when it keeps the bites of an earlier run (a ready
    call transcribed again), which stay in search; either way its page shows the reason."""
    kept = db.session.scalar(select(Bite.id).where(Bite.call_id == call_id).limit(1))
    return CallStatus.READY if kept is not None else CallStatus.FAILED


def _fail(call_id: int, why: Reason | str, keep_bites: bool = True) -> None:
    """Record that the call failed, with the reason; when the database cannot take it (a full disk), record it
    later, so that the call is not left running until a restart."""
    try:
        _record_failure(call_id, why, keep_bites)
    except SQLAlchemyError as e:
        db.session.rollback()
        if not is_disk_full(e):
            raise
        log.error("call %s failed (%s); the database cannot record it yet: %s", call_id, why, e)
        deferred_writes.retry_later(("failure of call", call_id), lambda: _record_failure(call_id, why, keep_bites))


def _record_failure(call_id: int, why: Reason | str, keep_bites: bool) -> None:
    db.session.rollback()
    status = _failed_status(call_id) if keep_bites else CallStatus.FAILED
    columns = error_columns(why)  # a coded reason is shown in each reader's language
    result = db.session.execute(
        update(Call).where(Call.id == call_id, Call.claimed_by == worker_identity())
        .values(status=status, claimed_by=None, heartbeat_at=utcnow(), **columns)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        call = db.session.get(Call, call_id)
        if call is not None:
            events.emit(events.CALL_FAILED, {"call_id": call_id, "title": call.title, "error": columns["error"],
                                             "error_code": columns["error_code"]})
    db.session.commit()
    if result.rowcount:  # type: ignore[attr-defined]
        log.warning("call %s failed: %s", call_id, why)


def _call_event(call: Call, bites: int) -> dict[str, Any]:
    return {"call_id": call.id, "title": call.title, "language": call.detected_language or call.language,
            "duration_s": call.duration_s, "bites": bites, "path": f"/calls/{call.id}"}


def _bite_event(bite: Any) -> dict[str, Any]:
    return {"bite_id": bite.id, "call_id": bite.call_id, "seq": bite.seq, "title": bite.title,
            "start_s": bite.start_s, "end_s": bite.end_s, "language": bite.language, "path": f"/bites/{bite.id}"}


def queue_call(call_id: int) -> bool:
    """Enqueue the job of a committed, queued call: True when queued now; False when the queue's storage is full,
    and the job is enqueued as soon as it has room."""
    try:
        process_call(call_id)
    except Exception as e:
        if not is_disk_full(e):
            raise
        log.error("call %s: its job could not be queued yet: %s", call_id, e)
        deferred_writes.retry_later(("job of call", call_id), lambda: process_call(call_id))
        return False
    return True


def forget_call(files: call_services.CallFiles) -> None:
    """After a call's deletion was committed: remove its bites from the index and its files from disk."""
    indexing.remove_call(files.call_id)
    call_services.remove_call_files(files)


# Recovering from killed workers ----------------------------------------------------------------------------------


def _holder_is_gone(claimed_by: str | None, heartbeat: datetime | None, now: datetime) -> bool:
    """True when the worker named in claimed_by cannot still be working on the call."""
    if not claimed_by or heartbeat is None:
        return True
    if now - heartbeat > call_services.STALE_AFTER:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's worker with a fresh heartbeat: trust it
    pid = int(pid_text)
    if pid == os.getpid():
        return claimed_by != worker_identity()  # this pid belonged to an earlier process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def requeue_interrupted(now: datetime | None = None) -> list[int]:
    """Queue again the calls a killed worker left running, and re-enqueue queued calls; return the ids enqueued.

    After MAX_ATTEMPTS interrupted runs a call is marked failed instead. Enqueueing a call twice is harmless:
    only the job that claims it (queued -> transcribing) processes it.
    """
    now = now or utcnow()
    enqueue: list[int] = []
    active = db.session.scalars(select(Call).where(Call.status.in_([CallStatus.QUEUED, *call_services.RUNNING]))
                                .order_by(Call.id)).all()
    for call in active:
        if call.status == CallStatus.QUEUED:
            enqueue.append(call.id)
            continue
        if not _holder_is_gone(call.claimed_by, call.heartbeat_at, now):
            continue
        if call.attempts >= MAX_ATTEMPTS:
            call.status = _failed_status(call.id)
            call.set_error(reason("call.interrupted", n=call.attempts))
            call.claimed_by = None
            events.emit(events.CALL_FAILED, {"call_id": call.id, "title": call.title, "error": call.error,
                                             "error_code": call.error_code})
            log.warning("call %s interrupted %d times; marked failed", call.id, call.attempts)
        else:
            log.warning("call %s was interrupted while %s; queueing it again", call.id, call.status.value)
            call.status = CallStatus.QUEUED
            call.progress = 0.0
            call.claimed_by = None
            enqueue.append(call.id)
    db.session.commit()
    for call_id in enqueue:
        process_call(call_id)
    return enqueue


@on_consumer_start
def _requeue_at_start() -> None:
    requeue_interrupted()
