"""Every thread that transcribes runs at the lower CPU priority (WORKER_NICE), in a real `flask worker` and in the
job consumer of a real `flask serve`, while the site's own threads keep theirs.

Linux keeps a nice value per thread and a new thread takes its creator's, so the speech model's threads
(CTranslate2's pool, started when the model is loaded; onnxruntime's; numpy's BLAS pool, started at import)
are only lowered if the process lowers them before, or when, they start. These tests read each thread's nice
value and CPU time from /proc while a real recording is transcribed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from enable import create_app, pipeline
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from tests.calls.helpers import AUDIO, load_content
from tests.conftest import REPO, base_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="per-thread priorities are read from /proc"),
]


@dataclass
class Thread:
    nice: int
    ticks: int  # user + system CPU time, in clock ticks


def threads(pid: int) -> dict[int, Thread]:
    """The threads of a process: nice value and CPU time of each, from /proc."""
    found = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        found[int(tid)] = Thread(nice=int(fields[16]), ticks=int(fields[11]) + int(fields[12]))
    return found


def _site(tmp_path: Path) -> tuple[object, dict[str, str]]:
    """A site in tmp_path with a SQLite job queue; (app, the environment its processes run with)."""
    db_url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app(base_config(tmp_path, JOBS_IMMEDIATE=False, SQLALCHEMY_DATABASE_URI=db_url))
    with app.app_context():
        db.create_all()
        load_content()
    env = {**os.environ, "ENABLE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": db_url,
           "TRANSCRIPTS_DIR": str(tmp_path / "transcripts"), "SECRET_KEY": "test-secret-key-for-priority-tests"}
    env.pop("QUEUE_URL", None)
    return app, env


def _upload(app, recording: str) -> int:
    """Upload a recording: its call waits in the site's job queue."""
    with app.app_context():
        call_id = calls.accept_file(AUDIO / recording, calls.CallDetails(stage="discovery")).call.id
        db.session.commit()
        pipeline.process_call(call_id)  # queued, not run: JOBS_IMMEDIATE is off
        db.engine.dispose()
    return call_id


def _status(app, call_id: int) -> Call:
    with app.app_context():
        call = db.session.get(Call, call_id)
        db.session.expunge_all()
        db.engine.dispose()
        return call


def _watch(app, call_id: int, proc: subprocess.Popen, log: Path) -> tuple[dict[int, Thread], dict[int, Thread]]:
    """Sample the process's threads until the call is processed; (threads when it started, every thread seen)."""
    before = threads(proc.pid)
    seen: dict[int, Thread] = {}
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the process exited ({proc.returncode}):\n{log.read_text()}")
        for tid, thread in threads(proc.pid).items():
            if thread.nice != seen.get(tid, thread).nice:
                pytest.fail(f"thread {tid} changed priority while working: {seen[tid].nice} -> {thread.nice}")
            seen[tid] = thread
        call = _status(app, call_id)
        if not call.status.is_active:
            assert call.status == CallStatus.READY, call.error
            return before, seen
        time.sleep(0.2)
    pytest.fail(f"the call was not processed in time:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _base_nice() -> int:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    if base >= 19:
        pytest.skip("the tests already run at the lowest priority: nothing to lower")
    return base


def test_every_thread_of_a_worker_transcribes_at_the_lower_priority(tmp_path):
    base = _base_nice()
    app, env = _site(tmp_path)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-periodic"],
                                  cwd=REPO, env={**env, "WORKER_NICE": "19"}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "worker consuming jobs" not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        call_id = _upload(app, "sales_dialogue.ogg")
        _, seen = _watch(app, call_id, worker, log)
    finally:
        _stop(worker)

    assert base < 19
    assert {t.nice for t in seen.values()} == {19}, seen  # the main thread, the consumer's, the model's pools
    working = [t for t in seen.values() if t.ticks > 10]
    assert len(working) >= 2  # the job's thread and the speech model's own threads did the work


def test_a_serve_process_transcribes_at_the_lower_priority_and_serves_pages_at_its_own(tmp_path):
    base = _base_nice()
    app, env = _site(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port),
                                  "--threads", "2"], cwd=REPO, env={**env, "WORKER_NICE": "10"}, stdout=out,
                                 stderr=subprocess.STDOUT)
    lowered = min(19, base + 10)
    try:
        deadline = time.monotonic() + 120
        while True:  # up and idle: what it spent starting is not counted
            try:
                if httpx.get(f"http://127.0.0.1:{port}/auth/login", timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if serve.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the site did not start:\n{log.read_text()}")
            time.sleep(0.3)
        time.sleep(2)  # the speech model is loaded in advance, by the consumer's thread
        call_id = _upload(app, "sales_dialogue.ogg")
        before, seen = _watch(app, call_id, serve, log)
        # Pages are still served while jobs run, by threads at the site's own priority.
        assert httpx.get(f"http://127.0.0.1:{port}/auth/login", timeout=30).status_code == 200
        web = threads(serve.pid)
    finally:
        _stop(serve)

    assert web[serve.pid].nice == base  # the main thread, which serves pages and starts the request threads
    assert any(t.nice == base for tid, t in web.items() if tid != serve.pid)  # the request threads
    assert {t.nice for t in seen.values()} == {base, lowered}
    # Transcription (the consumer's worker thread, the speech model's pools, numpy's BLAS threads) used nearly all
    # of the CPU time spent while the call was processed, all of it at the lowered priority.
    used = {tid: t.ticks - before[tid].ticks if tid in before else t.ticks for tid, t in seen.items()}
    at_lowered = sum(n for tid, n in used.items() if seen[tid].nice == lowered)
    assert at_lowered > 100  # more than a second of transcription
    assert at_lowered >= 0.95 * sum(used.values()), {tid: (seen[tid].nice, n) for tid, n in used.items() if n}


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="no idle scheduling class on this system")
def test_worker_nice_20_puts_the_job_thread_in_the_idle_class_and_leaves_the_others():
    import threading

    seen: list[int] = []

    def job() -> None:
        pipeline.yield_cpu_to_requests(20)
        seen.append(os.sched_getscheduler(0))
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert seen == [os.SCHED_IDLE, 19]
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # this thread (the web's) keeps the normal class
