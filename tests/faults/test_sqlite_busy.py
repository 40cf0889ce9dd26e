"""SQLite under concurrent writers: several processes, each with several threads, write through the app at once;
every write lands and no user sees "database is locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, select

from enable import create_app
from enable.auth.models import Role
from enable.extensions import db
from enable.search.models import Playlist
from tests.conftest import REPO, base_config
from tests.factories import make_user

PROCESSES, THREADS, WRITES = 3, 2, 8

WRITER = textwrap.dedent('''
    import json, sys, threading, time
    from pathlib import Path
    from enable import create_app
    from tests.conftest import base_config
    from tests.factories import PASSWORD

    tmp, db_url, proc, threads, writes, go = sys.argv[1:7]
    app = create_app(base_config(Path(tmp), SQLALCHEMY_DATABASE_URI=db_url))
    results = []

    def work(t):
        client = app.test_client()
        email = f"writer{proc}-{t}@example.test"
        while not Path(go).exists():
            time.sleep(0.01)
        statuses = [client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code]
        for i in range(int(writes)):
            response = client.post("/search/playlists", data={"name": f"list {proc}-{t}-{i}", "description": "x"})
            statuses.append(response.status_code)
            if response.status_code >= 500:
                results.append(response.get_data(as_text=True)[-400:])
        results.append(statuses)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(int(threads))]
    for w in workers: w.start()
    for w in workers: w.join()
    print(json.dumps(results))
''')


def test_concurrent_writers_all_land(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'busy.db'}"
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=db_url))
    with app.app_context():
        db.create_all()
        for p in range(PROCESSES):
            for t in range(THREADS):
                make_user(role=Role.REP, email=f"writer{p}-{t}@example.test")
        db.session.commit()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), db_url, str(p), str(THREADS),
                               str(WRITES), str(go)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in range(PROCESSES)]
    time.sleep(3)  # every process has built its app and waits
    go.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    for (out, err), proc in zip(outputs, procs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert "database is locked" not in err, err[-2000:]
        for statuses in json.loads(out.strip().splitlines()[-1]):
            assert statuses == [302] * (WRITES + 1), statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Playlist)) == PROCESSES * THREADS * WRITES
        db.engine.dispose()
