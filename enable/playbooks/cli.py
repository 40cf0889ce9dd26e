"""`flask links check`: check every link in playbooks and assets now."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from enable.db import utcnow
from enable.extensions import db
from enable.playbooks import links, links_bp


@links_bp.cli.command("check")
@click.option("--timeout", "timeout_s", type=float, default=10.0, show_default=True, help="Seconds per request.")
@click.option("--per-host", type=int, default=2, show_default=True, help="Requests at once to one host.")
@click.option("--concurrency", type=int, default=16, show_default=True, help="Requests at once in all.")
@click.option("--retries", type=int, default=2, show_default=True, help="Retries of a server error (5xx).")
@click.option("--backoff", "backoff_s", type=float, default=0.5, show_default=True,
              help="Seconds before the first retry; doubles each time.")
@with_appcontext
def check_command(timeout_s: float, per_host: int, concurrency: int, retries: int, backoff_s: float) -> None:
    """Check every link in playbooks and assets; print counts per status and each broken or moved link."""
    summary = links.check_links(utcnow(), timeout_s=timeout_s, per_host=per_host, concurrency=concurrency,
                                retries_5xx=retries, backoff_s=backoff_s)
    db.session.commit()
    counts = ", ".join(f"{status} {n}" for status, n in sorted(summary.counts.items())) or "no links"
    click.echo(f"checked {summary.total} links: {counts}")
    found = links.sources((lk.source_type, lk.source_id) for lk in summary.problems)
    for link in summary.problems:
        source = found[(link.source_type, link.source_id)]
        where = f'{source.kind} {source.id} "{source.title}"'
        target = f" -> {link.final_url}" if link.status == "moved" and link.final_url else ""
        code = f" {link.http_status}" if link.http_status else ""
        click.echo(f"{link.status}{code}: {link.url}{target} in {where} ({link.detail})")
