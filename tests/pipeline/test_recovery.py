"""A call is processed by one worker at a time; calls left behind by a killed worker are queued again."""

from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from enable import pipeline, queue
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from tests.calls.helpers import AUDIO, call_of, ingest_sample, load_content, sample_transcript


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False  # enqueued jobs stay in the tmp SQLite queue
    return app_config


@pytest.fixture
def queued(app):
    with app.app_context():
        load_content()
        call = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails()).call
        db.session.commit()
        return call.id


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _set(call_id: int, **values) -> None:
    db.session.execute(update(Call).where(Call.id == call_id).values(**values))
    db.session.commit()


def test_a_call_left_running_by_a_dead_worker_is_queued_again(app, queued):
    with app.app_context():
        queue.huey.flush()
        _set(queued, status=CallStatus.TRANSCRIBING, progress=0.4, attempts=1, heartbeat_at=utcnow(),
             claimed_by=f"{socket.gethostname()}:{_dead_pid()}:0badc0de")
        assert pipeline.requeue_interrupted() == [queued]
        call = call_of(queued)
        assert (call.status, call.progress, call.claimed_by) == (CallStatus.QUEUED, 0.0, None)
        assert queue.huey.pending_count() == 1


def test_after_three_interruptions_the_call_fails_with_the_reason(app, queued):
    with app.app_context():
        queue.huey.flush()
        _set(queued, status=CallStatus.SLICING, attempts=3, heartbeat_at=utcnow(),
             claimed_by=f"{socket.gethostname()}:{_dead_pid()}:0badc0de")
        assert pipeline.requeue_interrupted() == []
        call = call_of(queued)
        assert call.status == CallStatus.FAILED and "interrupted 3 times" in call.error
        assert queue.huey.pending_count() == 0


def test_a_live_worker_on_another_machine_keeps_its_call_until_it_goes_quiet(app, queued):
    with app.app_context():
        queue.huey.flush()
        _set(queued, status=CallStatus.TRANSCRIBING, attempts=1, heartbeat_at=utcnow(), claimed_by="gpu-7:123:abcd")
        assert pipeline.requeue_interrupted() == []
        assert call_of(queued).status == CallStatus.TRANSCRIBING
        _set(queued, heartbeat_at=utcnow() - timedelta(minutes=11))
        assert pipeline.requeue_interrupted() == [queued]


def test_queued_calls_are_enqueued_again_and_run_once(app, queued):
    with app.app_context():
        queue.huey.flush()
        assert pipeline.requeue_interrupted() == [queued]
        # Two jobs for one call: the first claims it, the second finds nothing to do.
        assert pipeline.ingest_call(queued, transcript=sample_transcript("negotiation-price")) is not None
        assert pipeline.ingest_call(queued, transcript=sample_transcript("negotiation-price")) is None
        assert call_of(queued).attempts == 1
        assert db.session.scalar(select(func.count()).select_from(Bite)) == 2


def test_a_worker_that_lost_its_claim_writes_no_bites(app, queued):
    with app.app_context():
        def another_worker_takes_over(status: str, fraction: float) -> None:
            if status == "slicing":
                _set(queued, claimed_by="other-host:1:ffff")

        assert pipeline.ingest_call(queued, progress=another_worker_takes_over,
                                    transcript=sample_transcript("negotiation-price")) is None
        assert db.session.scalar(select(func.count()).select_from(Bite)) == 0
        assert call_of(queued).status == CallStatus.SLICING


def test_a_missing_recording_fails_with_a_reason(app, queued):
    with app.app_context():
        calls.media_file(call_of(queued)).unlink()
        call = pipeline.ingest_call(queued)
        assert call.status == CallStatus.FAILED
        assert "recording of this call is missing" in call.error and call.claimed_by is None


def test_a_deleted_call_stops_its_job_quietly(app, queued):
    with app.app_context():
        db.session.delete(call_of(queued))
        db.session.commit()
        assert pipeline.ingest_call(queued) is None


def test_reprocessing_a_ready_call_replaces_its_bites(app, users):
    with app.app_context():
        load_content()
        call_id = ingest_sample("closing-authority")
        first = [b.id for b in call_of(call_id).bites]
        call = call_of(call_id)
        call.status = CallStatus.FAILED
        calls.retry_call(call, None)
        db.session.commit()
        pipeline.ingest_call(call_id, transcript=sample_transcript("closing-authority"))
        bites = call_of(call_id).bites
        assert len(bites) == len(first) and sorted(b.seq for b in bites) == list(range(len(first)))
        assert db.session.scalar(select(func.count()).select_from(Bite)) == len(first)
