"""The site under gunicorn with gunicorn.conf.py, as "Running in production" in the README starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from enable import create_app
from enable.extensions import db
from enable.search.indexing import get_index
from tests.conftest import REPO, _free_port, base_config, process_env, wait_until_served
from tests.search.test_whoosh_backend import DOCS

pytest.importorskip("gunicorn", reason="gunicorn is in the `production` extra: pip install -e '.[production]'")
pytestmark = pytest.mark.slow


def _site(tmp_path) -> dict[str, str]:
    """A site with its tables and a small search index; returns the environment its processes run with."""
    db_url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=db_url))
    with app.app_context():
        db.create_all()
        get_index().add(DOCS)
        db.engine.dispose()
    return process_env(tmp_path, db_url)


def _children(pid: int) -> list[int]:
    found = []
    for stat in os.scandir("/proc"):
        if stat.name.isdigit():
            try:
                with open(f"/proc/{stat.name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(stat.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts the worker processes through /proc (Linux)")
def test_gunicorn_serves_the_site_from_several_processes_with_timed_access_lines(tmp_path):
    env = _site(tmp_path)
    port = _free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2")
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"), "wsgi:app"],
                                  cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        body, headers = wait_until_served(server, f"http://127.0.0.1:{port}/auth/login", log_path)
        assert 'name="csrf_token"' in body.decode()
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert len(_children(server.pid)) == 2  # WEB_CONCURRENCY worker processes
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    output = log_path.read_text()
    assert "Using worker: gthread" in output
    # The access log gives each request's time in ms, as the README says.
    assert any('"GET /auth/login HTTP/1.1" 200' in line and "ms " in line for line in output.splitlines()), output


WORKER_START = """
import gc, json, runpy, threading, sys
settings = runpy.run_path(sys.argv[1])
from enable import create_app
from tests.conftest import base_config
from pathlib import Path
app = create_app(base_config(Path(sys.argv[2]), TESTING=False, SQLALCHEMY_DATABASE_URI=sys.argv[3]))

class Worker:
    wsgi = app

settings["post_worker_init"](Worker)
frozen, watched = gc.get_freeze_count(), len(gc.get_objects())
for thread in threading.enumerate():
    if thread.name == "search-warm":
        thread.join(timeout=60)
print(json.dumps({"frozen": frozen, "watched": watched, "threads": settings["threads"],
                  "warmed": app.extensions["search"]._snapshot is not None}))
"""


def test_a_starting_web_process_takes_its_app_out_of_the_collectors_view_and_warms_its_index(tmp_path):
    env = _site(tmp_path)
    out = subprocess.run([sys.executable, "-c", WORKER_START, str(REPO / "gunicorn.conf.py"), str(tmp_path),
                          env["DATABASE_URL"]], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # The modules, routes and templates of the app no longer make every full collection walk them all.
    assert result["frozen"] > 50_000
    assert result["watched"] < result["frozen"] / 20
    assert result["warmed"]
    assert result["threads"] == 2
