"""Loading the content folder (taxonomy, and what later capabilities add) in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from enable.errors import UserError
from enable.extensions import db
from enable.taxonomy.services import LoadReport, load_taxonomy

# Each loader reads its part of the content folder; the order matters (playbooks name stages, ...).
Loader = Callable[[Path], LoadReport]
LOADERS: list[tuple[str, Loader]] = []


def register_loader(name: str, loader: Loader) -> None:
    """Add a capability's loader, run after those registered before it."""
    if name not in {n for n, _ in LOADERS}:
        LOADERS.append((name, loader))


def _load_taxonomy_file(root: Path) -> LoadReport:
    path = root / "taxonomy.yaml"
    return load_taxonomy(path) if path.exists() else LoadReport()


register_loader("taxonomy", _load_taxonomy_file)


def load_content(root: Path) -> LoadReport:
    """Load every part of the content folder; on any error nothing is kept (the caller commits)."""
    if not root.is_dir():
        raise UserError(f"{root}: no such content folder")
    report = LoadReport()
    for _name, loader in LOADERS:
        report.merge(loader(root))
    return report


@click.group("content")
def content_cli() -> None:
    """Load and export the content folder."""


@content_cli.command("load")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def load_command(path: Path | None) -> None:
    """Load content/ (taxonomy, playbooks, tracks, quizzes, certifications); running it twice changes nothing."""
    root = path or current_app.config["CONTENT_DIR"]
    try:
        report = load_content(Path(root))
    except UserError as e:
        db.session.rollback()
        raise click.ClickException(f"nothing was loaded: {e.message}") from e
    from enable.audit import record

    record(None, "content.load", None, {"path": str(root), "summary": report.summary()})
    db.session.commit()
    click.echo(f"content loaded from {root}: {report.summary()}")
    if waiting := report.waiting_summary():
        click.echo(waiting)


def init_app(app: Flask) -> None:
    """Register the `flask content` commands."""
    app.cli.add_command(content_cli)
