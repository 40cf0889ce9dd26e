"""Domain events that other systems may hear about (webhooks): emitted by the code where they happen.

`emit(name, data)` runs inside the caller's unit of work: each listener may add rows to `db.session` (the webhooks
outbox does), so an event is only ever sent when the change that caused it commits; a rolled-back change sends
nothing. This module knows no listener: capabilities emit, the webhooks package listens (imports go downward).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CALL_TRANSCRIBED = "call.transcribed"
CALL_FAILED = "call.failed"
BITE_CREATED = "bite.created"
BITE_REMOVED = "bite.removed"
CONTENT_STALE = "content.stale"
LINK_BROKEN = "link.broken"
CERTIFICATION_AWARDED = "certification.awarded"
CERTIFICATION_EXPIRED = "certification.expired"

EVENTS = (CALL_TRANSCRIBED, CALL_FAILED, BITE_CREATED, BITE_REMOVED, CONTENT_STALE, LINK_BROKEN,
          CERTIFICATION_AWARDED, CERTIFICATION_EXPIRED)

# listener(name, data, key): `key`, when given, names the occurrence so it is sent at most once (e.g. one
# content.stale per item and review period, however often the daily job finds it stale).
Listener = Callable[[str, dict[str, Any], str | None], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Register a listener for every event (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def emit(name: str, data: dict[str, Any], key: str | None = None) -> None:
    """Announce that `name` happened, with JSON-serialisable `data`; listeners act within the caller's transaction."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    for listener in _listeners:
        listener(name, data, key)
