"""`flask serve` on a port another program holds: a plain message, no traceback, nothing started."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import process_env

ROOT = Path(__file__).resolve().parents[1]


def test_a_taken_port_is_said_plainly_with_the_way_out(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = process_env(tmp_path, f"sqlite:///{tmp_path}/enable.db")
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"make demo PORT={port + 55}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Enable is running" not in done.stdout
