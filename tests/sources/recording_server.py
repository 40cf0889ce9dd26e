"""A real recording server on a loopback port, as Zoom's download host: it serves a file only to a request bearing
the expected token, and can redirect first (as Zoom does to its storage), to its own port or to `redirect_base`
(another server); with `gate` set, it holds each answer until the gate opens (a download in progress)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class RecordingServer:
    def __init__(self, files: dict[str, Path], token: str | None) -> None:
        self.files, self.token = files, token
        self.requests: list[dict] = []
        self.redirect_base: str | None = None
        self.gate: threading.Event | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                if server.gate is not None:
                    server.gate.wait(15)
                if self.path.startswith("/away/") and server.redirect_base:
                    self.send_response(302)
                    self.send_header("Location", server.redirect_base + "/rec/" + self.path.removeprefix("/away/"))
                    self.end_headers()
                    return
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "/rec/" + self.path.removeprefix("/redirect/"))
                    self.end_headers()
                    return
                name = self.path.removeprefix("/rec/")
                wanted = f"Bearer {server.token}" if server.token else None
                if wanted and self.headers.get("Authorization") != wanted:
                    self.send_response(401)
                    self.end_headers()
                    return
                if name not in server.files:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = server.files[name].read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
