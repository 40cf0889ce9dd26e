"""Signatures of the recording webhooks. No Flask, no database.

Zoom (developers.zoom.us, "Using webhooks"): each request carries `x-zm-request-timestamp` and
`x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:{timestamp}:{raw body}")>`; the endpoint URL validation event
(`endpoint.url_validation`) is answered with {"plainToken": p, "encryptedToken": hex HMAC-SHA256(secret token, p)}.
The generic "recording ready" webhook is signed like Enable's own webhooks (enable.webhooks.signing):
`Enable-Recording-Timestamp` and `Enable-Recording-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
Both refuse a timestamp more than TOLERANCE_S away from now (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_S = 300
ZOOM_TIMESTAMP = "x-zm-request-timestamp"
ZOOM_SIGNATURE = "x-zm-signature"
TIMESTAMP_HEADER = "Enable-Recording-Timestamp"
SIGNATURE_HEADER = "Enable-Recording-Signature"


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """A constant-time comparison that never raises: a header with non-ASCII characters is just not a match
    (hmac.compare_digest raises TypeError on such str)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _fresh(timestamp: str, tolerance_s: int, now: float | None) -> int | None:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return ts if abs(current - ts) <= tolerance_s else None


def zoom_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The x-zm-signature header Zoom sends for this body at this timestamp."""
    return "v0=" + _hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def zoom_verify(secret: str, body: bytes, timestamp: str, signature: str, tolerance_s: int = TOLERANCE_S,
                now: float | None = None) -> bool:
    """True when `signature` is Zoom's for `body` at a recent `timestamp`."""
    if not secret or _fresh(timestamp, tolerance_s, now) is None:
        return False
    return _same(zoom_signature(secret, timestamp, body), signature or "")


def zoom_encrypted_token(secret: str, plain_token: str) -> str:
    """The answer to Zoom's endpoint URL validation: hex HMAC-SHA256 of the plain token."""
    return _hex(secret, plain_token.encode())


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The generic webhook's signature header value at `timestamp`."""
    return "v1=" + _hex(secret, str(int(timestamp)).encode() + b"." + body)


def verify(secret: str, body: bytes, timestamp: str, signature: str, tolerance_s: int = TOLERANCE_S,
           now: float | None = None) -> bool:
    """True when `signature` (one or more comma-separated v1= entries) signs `body` at a recent `timestamp`."""
    ts = _fresh(timestamp, tolerance_s, now)
    if not secret or ts is None:
        return False
    expected = sign(secret, ts, body)
    return any(_same(expected, part.strip()) for part in (signature or "").split(","))
