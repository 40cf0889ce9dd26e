"""A real `flask worker` killed mid-transcription: the next worker finishes the call once, with no duplicate bites."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from enable import create_app, pipeline
from enable.bites.models import Bite
from enable.bites.slicer import cut_bites
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.search.indexing import get_index
from tests.calls.helpers import AUDIO, load_content
from tests.conftest import REPO, base_config

pytestmark = pytest.mark.slow


def _wait_for(app, call_id: int, done, timeout_s: float, worker: subprocess.Popen, log) -> Call:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with app.app_context():
            call = db.session.get(Call, call_id)
            db.session.expunge_all()
            if done(call):
                return call
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}):\n{log.read_text()}")
        time.sleep(0.3)
    pytest.fail(f"timed out; last state {call.status} {call.progress}:\n{log.read_text()}")


def test_a_killed_worker_leaves_the_call_to_the_next_one(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'worker.db'}"
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, SQLALCHEMY_DATABASE_URI=db_url))
    with app.app_context():
        db.create_all()
        load_content()
        call_id = calls.accept_file(AUDIO / "sales_dialogue.ogg", calls.CallDetails(stage="discovery")).call.id
        db.session.commit()
        pipeline.process_call(call_id)  # waits in the SQLite queue of the data folder

    env = {**os.environ, "ENABLE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": db_url,
           "TRANSCRIPTS_DIR": str(tmp_path / "transcripts"), "SECRET_KEY": "test-secret-key-for-the-worker-test"}
    env.pop("QUEUE_URL", None)
    logs = []

    def start_worker(n: int) -> subprocess.Popen:
        log = tmp_path / f"worker{n}.log"
        logs.append(log)
        with log.open("w") as out:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-periodic"],
                                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)

    first = start_worker(1)
    try:
        call = _wait_for(app, call_id, lambda c: c.status == CallStatus.TRANSCRIBING and 0 < c.progress < 0.9,
                         120, first, logs[0])
        killed_at = call.progress
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    with app.app_context():
        assert db.session.get(Call, call_id).status == CallStatus.TRANSCRIBING  # left behind mid-way
        db.session.expunge_all()

    second = start_worker(2)
    try:
        call = _wait_for(app, call_id, lambda c: not c.status.is_active, 300, second, logs[1])
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()

    assert call.status == CallStatus.READY, call.error
    assert call.attempts == 2 and 0 < killed_at < 1
    assert "was interrupted while transcribing; queueing it again" in logs[1].read_text()
    with app.app_context():
        bites = list(db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq)))
        clean = cut_bites(calls.read_transcript(call_id).segments, app.config["BITE_TARGET_S"],
                          app.config["BITE_MIN_S"], app.config["BITE_MAX_S"])
        assert [b.seq for b in bites] == list(range(len(clean)))  # no duplicates, as many as a clean run cuts
        assert [(b.start_s, b.end_s) for b in bites] == [(r.start_s, r.end_s) for r in clean]
        assert get_index().count() == len(bites)
        db.engine.dispose()


@pytest.mark.redis
def test_a_redis_worker_processes_an_upload(tmp_path, redis_url):
    db_url = f"sqlite:///{tmp_path / 'redis.db'}"
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, SQLALCHEMY_DATABASE_URI=db_url,
                                 QUEUE_URL=redis_url))
    with app.app_context():
        db.create_all()
        load_content()
        from enable import queue

        queue.huey.flush()
        call_id = calls.accept_file(AUDIO / "short_en.ogg", calls.CallDetails(stage="negotiation")).call.id
        db.session.commit()
        pipeline.process_call(call_id)
        assert queue.huey.pending_count() == 1

    env = {**os.environ, "ENABLE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": db_url, "QUEUE_URL": redis_url,
           "TRANSCRIPTS_DIR": str(tmp_path / "transcripts"), "SECRET_KEY": "test-secret-key-for-the-worker-test"}
    log = tmp_path / "redis-worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-periodic"],
                                  cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        call = _wait_for(app, call_id, lambda c: not c.status.is_active, 180, worker, log)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert call.status == CallStatus.READY, call.error
    with app.app_context():
        bites = db.session.scalars(select(Bite).where(Bite.call_id == call_id)).all()
        assert len(bites) == 1 and "price" in {t.tag.key for t in bites[0].tags}
        db.engine.dispose()
