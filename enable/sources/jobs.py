"""Background work of the sources: the drop folders scanned every minute by the worker (`flask worker`, or the
consumer inside `flask serve`), and the download of each recording a webhook announced."""

from __future__ import annotations

import logging

from enable.extensions import db
from enable.queue import job, on_consumer_start, periodic
from enable.sources import folders, recordings

log = logging.getLogger(__name__)


@periodic(minute="*")
def watch_drop_folders() -> None:
    """Every minute: import the complete recordings of every drop folder (DROP_DIRS)."""
    for report in folders.scan_all():
        if report.files:
            log.info("drop folder %s: %d file(s) looked at, %d call(s) queued", report.folder, len(report.files),
                     len(report.queue))


@job()
def download_recording(source_id: int) -> None:
    """Fetch an announced recording, make a call of it and queue its processing; retried later on a network
    error or a full disk (a few times)."""
    call_id, retry_s = recordings.download_and_import(source_id)
    if call_id is not None:
        from enable import pipeline

        pipeline.queue_call(call_id)
    elif retry_s is not None:
        download_recording.schedule((source_id,), delay=retry_s)


@on_consumer_start
def _resume_downloads() -> None:
    """Downloads a stopped worker left unfinished are queued again: now, or when the lease of the job that held
    (or will retry) it runs out. A job that finds its download held by another does nothing (recordings.claim)."""
    from sqlalchemy import select

    from enable.sources.models import SourceFile, SourceStatus

    ids = list(db.session.scalars(select(SourceFile.id).where(SourceFile.status == SourceStatus.DOWNLOADING)))
    waits = {source_id: recordings.held_until(source_id) for source_id in ids}
    db.session.commit()
    for source_id, wait_s in waits.items():
        if wait_s is None:
            download_recording(source_id)
        else:
            download_recording.schedule((source_id,), delay=wait_s + 1)
