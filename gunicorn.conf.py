"""Gunicorn settings for serving Enable in production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed without editing this file, through the environment of the gunicorn process:

    GUNICORN_BIND       where to listen (default 127.0.0.1:8000: put a reverse proxy with HTTPS in front)
    WEB_CONCURRENCY     worker processes (default: 2 per CPU core + 1, at most 8)
    GUNICORN_THREADS    request threads per worker process (default 2)
    GUNICORN_TIMEOUT    seconds a worker may stay silent before it is restarted (default 120)
    GUNICORN_PRELOAD    1 to build the app once before forking (faster start, less memory; default 0)
    GUNICORN_LOG_LEVEL  debug, info (default), warning, error
    GUNICORN_CONTROL_SOCKET  a path for gunicorn's control socket (`gunicornc`); off by default
    FORWARDED_ALLOW_IPS proxies trusted to set X-Forwarded-Proto/For (gunicorn's own setting; default 127.0.0.1)

The site itself reads its settings (DATABASE_URL, QUEUE_URL, SECRET_KEY, ...) from the environment as described in
the README. Gunicorn serves web requests only: transcription runs in `flask --app wsgi worker` processes.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
# Threads: a request that sends or receives a large file (a recording played without a range, an upload) holds a
# thread, not a whole process. Two, not more: page requests are CPU work under one interpreter lock per process, so
# more threads only make them take turns inside a process while other processes may be idle (bench/load.py at 100,000
# bites on 2 cores, 5 processes: 4 threads each used 31 ms of CPU per request and gave a search p95 of 376 ms;
# 2 threads 27 ms and 251 ms). Behind a proxy that buffers requests and responses (nginx does by default) a transfer
# holds a thread only for a moment; serving slow clients without one, raise GUNICORN_THREADS.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 2)
# The gthread worker's heartbeat runs beside its request threads, so a long upload does not trip the timeout;
# it only restarts a worker that is truly stuck.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30  # on SIGTERM/HUP, requests in flight (an upload) get this long to finish
keepalive = 5  # behind a proxy that reuses connections
max_requests = 5000  # recycle workers now and then, in case anything leaks
max_requests_jitter = 500
# Headers and request line stay at gunicorn's limits; the body limit is MAX_UPLOAD_MB, enforced by the app.
preload_app = os.environ.get("GUNICORN_PRELOAD", "").strip().lower() in {"1", "true", "yes", "on"}

# Logs: to stderr (journald/docker collect them); the access log adds the time each request took, in ms.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'
proc_name = "enable-web"
# Gunicorn's runtime control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which two sites or a
# benchmark beside the site would share; it is off unless GUNICORN_CONTROL_SOCKET names a path of its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def post_fork(server, worker) -> None:  # noqa: ARG001 (gunicorn's hook signature)
    """After a preloaded app is forked: give each worker its own database connections and search index.

    Connections (SQLAlchemy pool, psycopg sockets, SQLite handles) and the open Whoosh index must never be shared
    by two processes. Without preloading each worker builds its own app and there is nothing to do.
    """
    if not preload_app:
        return
    import wsgi
    from enable.extensions import db

    app = wsgi.app
    with app.app_context():
        db.engine.dispose(close=False)  # drop the parent's pooled connections without closing them under it
    app.extensions.pop("search", None)  # the search index is opened again on first use in this process


def pre_fork(server, worker) -> None:  # noqa: ARG001 (gunicorn's hook signature)
    """With a preloaded app, take its objects out of the garbage collector's view in the master, before forking:
    a collection in each worker would otherwise write to every inherited object and copy its memory page."""
    if preload_app:
        from enable.serve import freeze_startup_objects

        freeze_startup_objects()


def post_worker_init(worker) -> None:
    """Each web worker process, once its app is built, takes the app's objects out of the garbage collector's view
    (enable.serve.freeze_startup_objects), then opens and warms its search index in the background, so that the
    first searches it serves do not pay for it (seconds of CPU at 100,000 bites)."""
    from enable.search.indexing import warm_in_background
    from enable.serve import freeze_startup_objects

    freeze_startup_objects()
    warm_in_background(worker.wsgi)
