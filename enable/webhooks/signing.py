"""Webhook signatures, Stripe-style: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret.

Headers of every delivery:
  Enable-Webhook-Id:         the event id (also in the body); a receiver drops ids it has seen
  Enable-Webhook-Timestamp:  Unix seconds when this attempt was signed
  Enable-Webhook-Signature:  v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>
A receiver recomputes the HMAC over the raw body and rejects a mismatch, or a timestamp older than a few minutes
(a replay). No Flask, no database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

ID_HEADER = "Enable-Webhook-Id"
TIMESTAMP_HEADER = "Enable-Webhook-Timestamp"
SIGNATURE_HEADER = "Enable-Webhook-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300  # receivers reject signatures older than this (5 minutes)


def new_secret() -> str:
    """A fresh signing secret (256 bits, URL-safe)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of f"{timestamp}.{body}" under `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret: str, event_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The signature headers of one attempt."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {ID_HEADER: event_id, TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: f"{SCHEME}={sign(secret, ts, body)}"}


def verify(secret: str, body: bytes, timestamp: str, signature: str, tolerance_s: int = DEFAULT_TOLERANCE_S,
           now: float | None = None) -> bool:
    """True when `signature` (a header value, possibly several comma-separated v1= entries) signs `body` at
    `timestamp` under `secret`, and the timestamp is within `tolerance_s` seconds of now."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    given = [part.strip()[len(SCHEME) + 1:] for part in (signature or "").split(",")
             if part.strip().startswith(SCHEME + "=")]
    return any(hmac.compare_digest(expected, candidate) for candidate in given)
