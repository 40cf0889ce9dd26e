"""A real webhook receiver on a loopback port: checks each request's signature on its own and answers as told."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_test-shared-secret-0123456789"
TOLERANCE_S = 300


class Receiver:
    """A webhook receiver on a free loopback port: verifies each request's signature with the shared secret on its
    own (plain hmac, not Enable's code), rejects bad or old ones with 401, else answers the next planned status."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.requests: list[dict] = []
        self.plan: list[int] = []  # statuses to answer, in order; 200 once it is empty
        self.reply: bytes | None = None  # the body of every answer; default "<verdict> <status>"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verdict = receiver.check(body, self.headers.get("Enable-Webhook-Timestamp", ""),
                                         self.headers.get("Enable-Webhook-Signature", ""))
                status = (receiver.plan.pop(0) if receiver.plan else 200) if verdict == "ok" else 401
                receiver.requests.append({"body": body, "headers": dict(self.headers), "verdict": verdict,
                                          "status": status, "at": time.monotonic()})
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(receiver.reply if receiver.reply is not None else f"{verdict} {status}".encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/enable"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def check(self, body: bytes, timestamp: str, signature: str) -> str:
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_S:
            return "old"
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return "ok" if hmac.compare_digest(signature, f"v1={expected}") else "bad-signature"

    @property
    def accepted(self) -> list[dict]:
        return [r for r in self.requests if r["verdict"] == "ok"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
