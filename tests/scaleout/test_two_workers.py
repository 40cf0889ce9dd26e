"""Scale-out on real PostgreSQL and Redis: migrations, and two `flask worker` processes ingesting calls.

Each test run gets its own PostgreSQL database (enable_scaleout_<pid>_<n>) and Redis db 14, so it cannot collide
with other runs using the shared `test` database or Redis db 15.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from enable import create_app, pipeline, queue
from enable.bites.models import Bite
from enable.bites.slicer import cut_bites
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.search.indexing import get_index
from tests.calls.helpers import load_content
from tests.conftest import REPO, base_config, process_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIS_DB = 14
# Four short calls, each a different recording (uploads are told apart by their SHA-256).
LINES = [
    "Honestly the price is too high for our budget this quarter.",
    "We already use Gong and the team is happy with it.",
    "I need to check with my boss before we sign the contract.",
    "Does it work with our CRM? The integration matters most.",
]


@pytest.fixture
def scaleout_db(own_postgres):
    """A PostgreSQL database of this test alone, dropped afterwards."""
    return own_postgres


@pytest.fixture
def queue_url(redis_url):
    """Redis db 14 (other tests use db 15), emptied before and after."""
    import redis

    url = re.sub(r"/\d*$", "", redis_url.rstrip("/")) + f"/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def test_migrations_upgrade_an_empty_postgres_database_to_the_head(scaleout_db, tmp_path):
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=scaleout_db))
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    # Every model's table exists (tests/test_migrations.py compares the columns too).
    assert set(db.metadata.tables) <= tables, set(db.metadata.tables) - tables


def _say(text_: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text_], check=True)
    return path


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-periodic"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _wait(condition, timeout_s: float, workers: list[subprocess.Popen], logs: list[Path], what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        for worker, log in zip(workers, logs, strict=True):
            if worker.poll() is not None:
                pytest.fail(f"a worker exited ({worker.returncode}) while waiting for {what}:\n{log.read_text()}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}:\n" + "\n".join(log.read_text() for log in logs))


@pytest.mark.slow
def test_two_workers_on_redis_and_postgres_ingest_every_call_exactly_once(scaleout_db, queue_url, tmp_path):
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, SQLALCHEMY_DATABASE_URI=scaleout_db,
                                 QUEUE_URL=queue_url))
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        load_content()
    env = process_env(tmp_path, scaleout_db, QUEUE_URL=queue_url)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [_start_worker(env, log) for log in logs]
    try:
        # Both consumers are polling Redis before the first job is queued, so both get work.
        _wait(lambda: all("consuming jobs" in log.read_text() for log in logs), 60, workers, logs, "both workers")
        with app.app_context():
            ids = [calls.accept_file(_say(line, tmp_path / f"call{i}.wav"), calls.CallDetails(stage="discovery"))
                   .call.id for i, line in enumerate(LINES)]
            db.session.commit()
            for call_id in ids * 2:  # every job delivered twice: only the claim decides who transcribes
                pipeline.process_call(call_id)

        def all_done() -> bool:
            with app.app_context():
                done = db.session.scalar(select(func.count(Call.id)).where(
                    Call.id.in_(ids), Call.status.in_([CallStatus.READY, CallStatus.FAILED])))
                db.session.remove()
                return done == len(ids)

        _wait(all_done, 120, workers, logs, "the calls to be processed")
        _wait(lambda: queue.huey.pending_count() == 0, 30, workers, logs, "the queue to drain")
    finally:
        for worker in workers:
            _stop(worker)

    texts = [log.read_text() for log in logs]
    finished = [[int(n) for n in re.findall(r"call (\d+) ready: \d+ bites", t)] for t in texts]
    skipped = [[int(n) for n in re.findall(r"call (\d+) is not queued; nothing to do", t)] for t in texts]
    assert sorted(finished[0] + finished[1]) == sorted(ids), texts  # each call finished once, by one worker
    assert sorted(skipped[0] + skipped[1]) == sorted(ids), texts  # each duplicate delivery was skipped
    assert finished[0] and finished[1], f"one worker did all the work: {finished}"

    with app.app_context():
        total = 0
        for call_id in ids:
            call = db.session.get(Call, call_id)
            assert call.status == CallStatus.READY, call.error
            assert call.attempts == 1 and call.claimed_by is None  # transcribed exactly once
            bites = list(db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq)))
            clean = cut_bites(calls.read_transcript(call_id).segments, app.config["BITE_TARGET_S"],
                              app.config["BITE_MIN_S"], app.config["BITE_MAX_S"])
            assert [(b.seq, b.start_s, b.end_s) for b in bites] == [
                (i, r.start_s, r.end_s) for i, r in enumerate(clean)]  # not duplicated
            total += len(bites)
        assert "price" in db.session.get(Call, ids[0]).bites[0].text.lower()
        assert get_index().count() == total  # the index the workers share holds every bite once
        db.session.remove()
        db.engine.dispose()
