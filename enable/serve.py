"""`flask serve` (the site and its job consumer in one process) and `flask worker` (a job consumer)."""

from __future__ import annotations

import errno
import gc
import logging
import socket

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from enable import queue

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Take every object alive once a web process has built its app out of the garbage collector's view.

    The modules, routes, models, forms and templates of the app (some 180,000 objects) live as long as the process,
    yet every full collection walked them all: about 0.1 s of CPU at a time, in the middle of whichever request
    made the collection run, every few hundred pages. Objects made later (the open search index, caches, each
    request's) are collected as before. The garbage left by building the app is collected first, since frozen
    objects are never freed.
    """
    gc.collect()
    gc.freeze()


def _check_port_free(host: str, port: int) -> None:
    """Refuse plainly, before any job or thread starts, a port that another program already listens on."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):  # SO_REUSEADDR, as waitress binds
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"Port {port} on {host} is already in use (another Enable, or another program). Stop it, or serve "
                f"on another port: `flask --app wsgi serve --port {port + 55}`, or `make demo PORT={port + 55}`."
            ) from None
        raise click.ClickException(f"Cannot serve on {host}:{port}: {exc.strerror or exc}.") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Web request threads.")
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Also process uploads in this process (turn off when separate workers run).")
@with_appcontext
def serve_command(host: str, port: int, threads: int, jobs: bool) -> None:
    """Serve the site with waitress and, unless --no-jobs, process background jobs in the same process."""
    from waitress import serve

    from enable import pipeline
    from enable.search import indexing

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _check_port_free(host, port)
    freeze_startup_objects()  # before any job starts: what a job leaves in reference cycles must stay collectable
    if jobs:
        queue.run_consumer_start_hooks(app)
        # Transcription yields the CPU to the page requests: its threads (the consumer's, the speech model's)
        # all start from the consumer's thread, lowered before it starts them.
        nice = int(app.config["WORKER_NICE"])
        pipeline.lower_process_priority(nice, keep_calling_thread=True)  # pools libraries started at import
        queue.start_embedded_consumer(workers=1, prepare=lambda: pipeline.lower_consumer_priority(nice))
    indexing.warm_in_background(app)
    click.echo(f"Enable is running on http://{host}:{port}/ (Ctrl+C to stop)")
    serve(app, host=host, port=port, threads=threads, max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
          ident="Enable")


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=int, help="Jobs run at the same time.")
@click.option("--no-periodic", is_flag=True, help="Leave periodic jobs (link checks, staleness) to another worker.")
@with_appcontext
def worker_command(workers: int, no_periodic: bool) -> None:
    """Process background jobs (transcription, indexing, link checks) until stopped."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if queue.huey.immediate:
        raise click.ClickException("jobs run inline in this configuration (JOBS_IMMEDIATE); no worker is needed")
    from enable import pipeline

    # A worker only runs jobs: every one of its threads yields the CPU to the site's requests on a shared machine.
    # Lowered now, before the consumer and the speech model start theirs, which inherit the priority.
    pipeline.lower_process_priority(int(app.config["WORKER_NICE"]))
    queue.run_consumer_start_hooks(app)
    consumer = queue.make_consumer(workers=workers, periodic_tasks=not no_periodic)
    click.echo(f"worker consuming jobs with {workers} worker(s)")
    consumer.run()


def init_app(app: Flask) -> None:
    """Register the serving commands."""
    app.cli.add_command(serve_command)
    app.cli.add_command(worker_command)
