"""The web server killed (SIGKILL) halfway through receiving a large upload leaves no call and no stray file.

The request body is spooled by the server (waitress) and by Werkzeug into unnamed temporary files, and the app
writes a recording into MEDIA_DIR/.incoming before moving it under its final name in the same transaction as the
call; parts left there by a process killed in that window are swept when the site starts again.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enable import create_app
from enable.auth.models import Role
from enable.calls.models import Call
from enable.extensions import db
from tests.conftest import REPO, _free_port, base_config, process_env, wait_until_served
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.slow


def _start(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=2",
                                   "wsgi:app"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_until_served(server, f"http://127.0.0.1:{port}/healthz", log_path, timeout_s=30)
    return server


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, html[:500]
    return match.group(1)


def _sign_in(base: str) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = _csrf(opener.open(f"{base}/auth/login").read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": "lead@example.test", "password": PASSWORD})
    opener.open(f"{base}/auth/login", data=form.encode())
    assert any(c.name == "session" for c in jar)
    return opener, jar


def test_a_server_killed_mid_upload_leaves_no_partial_call(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=db_url))
    with app.app_context():
        db.create_all()
        make_user(role=Role.ENABLEMENT, email="lead@example.test")
        db.session.commit()
    media = app.config["MEDIA_DIR"]
    env = process_env(tmp_path, db_url, MAX_UPLOAD_MB="64")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(env, port, tmp_path / "server1.log")
    try:
        opener, jar = _sign_in(base)
        token = _csrf(opener.open(f"{base}/calls/upload").read().decode())
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        boundary = secrets.token_hex(12)
        head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                       for k, v in {"csrf_token": token, "title": "Half a call", "rep": "", "deal": "",
                                    "call_date": "", "stage": "", "language": ""}.items())
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.wav\"\r\n"
                 "Content-Type: audio/wav\r\n\r\n")
        tail = f"\r\n--{boundary}--\r\n"
        size = 16 * 1024 * 1024
        length = len(head.encode()) + size + len(tail.encode())
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall((f"POST /calls/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                          f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                          f"Content-Length: {length}\r\n\r\n").encode() + head.encode())
            chunk = os.urandom(1024 * 1024)
            for _ in range(size // len(chunk) // 2):  # half of the file, then the server dies
                sock.sendall(chunk)
            time.sleep(0.5)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # Parts an upload would leave if the server died while the app copied it into the media folder: one stale,
    # one still being written by another process of the site.
    incoming = media / ".incoming"
    incoming.mkdir(exist_ok=True)
    stale, live = incoming / "stale.part", incoming / "live.part"
    stale.write_bytes(b"x" * 1000)
    live.write_bytes(b"y" * 1000)
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    server = _start(env, port, tmp_path / "server2.log")  # the site comes back
    try:
        _sign_in(base)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Call)) == 0
            db.engine.dispose()
        stray = [p for p in media.rglob("*") if p.is_file()]
        assert stray == [live], f"files left behind by the killed upload: {stray}"
    finally:
        server.kill()
        server.wait()
