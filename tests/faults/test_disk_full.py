"""A failed disk write while saving a transcript: the call fails with the reason, no half-written file is left,
other calls are intact, and a retry works once the disk is fixed."""

from __future__ import annotations

import errno
import os

import pytest

from enable import pipeline
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from tests.calls.helpers import SAMPLES_DIR, call_of, ingest_sample, load_content, sample_transcript


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False  # the pipeline is run directly on the samples' stored transcripts
    return app_config


@pytest.fixture
def two_calls(app):
    """One ready call (the one to keep intact) and one queued call (the one whose transcript cannot be saved)."""
    with app.app_context():
        load_content()
        ready = ingest_sample("negotiation-price", title="Kept call")
        queued = calls.accept_file(SAMPLES_DIR / "discovery-competitor.ogg",
                                   calls.CallDetails(title="Unlucky call", stage="discovery")).call.id
        db.session.commit()
        return ready, queued


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _full_disk(monkeypatch) -> None:
    """Every fsync reports a full disk, as the kernel does when the data cannot be written out."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{fd}") or not os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            return real(fd)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_fails_the_call_with_the_reason_and_leaves_nothing_half_written(app, two_calls, monkeypatch):
    ready, unlucky = two_calls
    folder = app.config["TRANSCRIPTS_DIR"]
    before = _snapshot(folder)
    with app.app_context():
        _full_disk(monkeypatch)
        pipeline.ingest_call(unlucky, transcript=sample_transcript("discovery-competitor"))
        monkeypatch.undo()
        call = call_of(unlucky)
        assert call.status == CallStatus.FAILED
        assert "The transcript could not be saved: No space left on device" in call.error
        assert "TRANSCRIPTS_DIR" in call.error and call.bites == []
        # No new, temporary or half-written file; the other call's transcript is byte for byte the same.
        assert _snapshot(folder) == before
        kept = call_of(ready)
        assert kept.status == CallStatus.READY and len(kept.bites) > 0
        assert calls.read_transcript(ready).segments == sample_transcript("negotiation-price").segments

        # The disk is fixed: a retry processes the call.
        calls.retry_call(call, None)
        db.session.commit()
        pipeline.ingest_call(unlucky, transcript=sample_transcript("discovery-competitor"))
        call = call_of(unlucky)
        assert call.status == CallStatus.READY and call.error is None and len(call.bites) > 0
        assert calls.transcript_store().vtt_path(unlucky).read_text().startswith("WEBVTT")
        indexed = {h.id for h in get_index().search(SearchQuery(per_page=50)).hits}
        assert indexed == {b.id for b in call.bites} | {b.id for b in call_of(ready).bites}


def test_a_second_failed_save_keeps_the_earlier_transcript_whole(app, two_calls, monkeypatch):
    """Re-running a ready call when the disk is full leaves its earlier JSON and captions as they were."""
    ready, _ = two_calls
    folder = app.config["TRANSCRIPTS_DIR"]
    before = _snapshot(folder)
    with app.app_context():
        store = calls.transcript_store()
        transcript = sample_transcript("discovery-competitor")  # different words from the stored ones
        _full_disk(monkeypatch)
        with pytest.raises(OSError):
            store.write(ready, transcript)
    assert _snapshot(folder) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; the full-disk test covers this")
def test_a_read_only_transcripts_folder_fails_the_call_with_the_reason(app, two_calls):
    _, unlucky = two_calls
    folder = app.config["TRANSCRIPTS_DIR"]
    folder.chmod(0o555)
    try:
        with app.app_context():
            pipeline.ingest_call(unlucky, transcript=sample_transcript("discovery-competitor"))
            call = call_of(unlucky)
            assert call.status == CallStatus.FAILED and "Permission denied" in call.error
    finally:
        folder.chmod(0o755)
