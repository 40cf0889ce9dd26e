"""Background jobs with Huey: SQLite storage in the data folder by default, Redis with QUEUE_URL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

log = logging.getLogger(__name__)

# Tasks register on this instance at import; init_app points it at the configured storage.
huey: Huey = SqliteHuey("enable", filename=":memory:", immediate=True)
_app: Flask | None = None
_consumer_start_hooks: list[Callable[[], None]] = []


def on_consumer_start(fn: Callable[[], None]) -> Callable[[], None]:
    """Register work to do (inside an app context) each time a consumer starts, e.g. re-queueing interrupted jobs."""
    if fn not in _consumer_start_hooks:
        _consumer_start_hooks.append(fn)
    return fn


def run_consumer_start_hooks(app: Flask) -> None:
    """Run the registered start hooks; a failing hook is logged, never fatal."""
    for hook in _consumer_start_hooks:
        with app.app_context():
            try:
                hook()
            except Exception:
                log.exception("consumer start hook %s failed", getattr(hook, "__name__", hook))


def init_app(app: Flask) -> None:
    """Point the queue at Redis (QUEUE_URL) or the SQLite file in the data folder."""
    global _app
    _app = app
    url = app.config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        huey.storage_class = RedisHuey.storage_class
        huey.storage_kwargs = {"url": url}
    elif url:
        raise ValueError(f"QUEUE_URL must be a redis:// URL, not {url!r}")
    else:
        path = app.config["QUEUE_PATH"]
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteHuey.storage_class
        huey.storage_kwargs = {"filename": str(path)}
    huey.immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    if not huey.immediate:
        huey.storage = huey.create_storage()


def job(**task_options: Any) -> Callable:
    """Declare a background job; its body runs inside an app context (pushed only when none is active)."""

    def decorator(fn: Callable) -> Any:
        @wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if has_app_context() or _app is None:
                return fn(*args, **kwargs)
            with _app.app_context():
                return fn(*args, **kwargs)

        return huey.task(**task_options)(run)

    return decorator


def periodic(**schedule: Any) -> Callable:
    """Declare a periodic job (crontab fields, e.g. hour="3", minute="0") that runs inside an app context."""
    from huey import crontab

    def decorator(fn: Callable) -> Any:
        @wraps(fn)
        def run() -> Any:
            if has_app_context() or _app is None:
                return fn()
            with _app.app_context():
                return fn()

        return huey.periodic_task(crontab(**schedule))(run)

    return decorator


def make_consumer(workers: int = 1, periodic_tasks: bool = True) -> Consumer:
    """A Huey consumer with thread workers."""
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic_tasks,
                                initial_delay=0.2, max_delay=2.0, check_worker_health=True)


def start_embedded_consumer(workers: int = 1, prepare: Callable[[], None] | None = None) -> threading.Thread:
    """Run a consumer in background threads of this process (the one-process default).

    `prepare` runs first in the consumer's own thread, which then starts the worker threads (they inherit its
    CPU priority); it runs inside an app context.
    """
    consumer = make_consumer(workers=workers)
    # Huey's consumer installs signal handlers, which only the main thread may do.
    consumer._set_signal_handlers = lambda: None

    def run() -> None:
        if prepare is not None and _app is not None:
            with _app.app_context():
                prepare()
        consumer.run()

    thread = threading.Thread(target=run, name="huey-consumer", daemon=True)
    thread.start()
    log.info("embedded job consumer started with %d worker(s)", workers)
    return thread
