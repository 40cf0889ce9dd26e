"""Writes that a full disk refused, tried again from a background thread of this process until they succeed.

For bookkeeping a job cannot give up on (a call's failure and its reason, a call's job on the queue): without it,
the call would show a running or queued state until the process restarts. Each write runs in an app context; one
that fails on a full disk or with a database error is tried again every RETRY_S seconds, any other error drops it
(logged). Writes are kept in memory: a process that ends loses them, and the next consumer start re-queues its
calls (pipeline.requeue_interrupted).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from enable.errors import is_disk_full
from enable.extensions import db

log = logging.getLogger(__name__)

RETRY_S = 30.0  # pause between attempts, seconds

_pending: dict[Hashable, Callable[[], None]] = {}
_lock = threading.Lock()


def retry_later(key: Hashable, write: Callable[[], None]) -> None:
    """Try `write` again every RETRY_S seconds until it succeeds; a later write with the same key replaces it."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        start = not _pending
        _pending[key] = write
    if start:
        threading.Thread(target=_retry, args=(app,), name="deferred-writes", daemon=True).start()


def pending() -> list[Hashable]:
    """The keys of the writes still waiting."""
    with _lock:
        return list(_pending)


def _retry(app: Flask) -> None:
    while True:
        time.sleep(RETRY_S)
        with _lock:
            waiting = list(_pending.items())
        with app.app_context():
            for key, write in waiting:
                try:
                    write()
                except Exception as e:
                    db.session.rollback()
                    if is_disk_full(e) or isinstance(e, SQLAlchemyError | sqlite3.Error):
                        log.warning("%s: still not written: %s", key, e)
                        break
                    log.exception("%s: dropped after an error", key)
                with _lock:
                    if _pending.get(key) is write:
                        del _pending[key]
        with _lock:
            if not _pending:
                return
