"""`flask export PATH`, `flask backup PATH` and `flask restore PATH [--force]`."""

from __future__ import annotations

from pathlib import Path

import click

from enable import audit
from enable.backup import bp, services
from enable.errors import UserError
from enable.extensions import db


@bp.cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-voice-profiles", "personal", is_flag=True,
              help="Include the voice profiles of users and the voices of unnamed speakers (personal data).")
def export_command(path: Path, personal: bool) -> None:
    """Write every table as JSON and every transcript to one zip (secrets and voice profiles left out), to leave
    with all the data."""
    try:
        report = services.write_archive_file(path, services.EXPORT, personal)
    except UserError as e:
        raise click.ClickException(e.message) from e
    audit.record(None, "backup.export", detail={"path": str(path), "rows": sum(report.tables.values())})
    db.session.commit()
    click.echo(f"export written to {path}: {report.summary()}")
    _echo_missing(report.missing, "missing when the export was made")


@bp.cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent backup (database, transcripts, media, secret key) while the site runs."""
    try:
        report = services.write_archive_file(path, services.BACKUP)
    except UserError as e:
        raise click.ClickException(e.message) from e
    click.echo(f"backup written to {path}: {report.summary()}")
    _echo_missing(report.missing, "missing when the backup was made (their calls were probably deleted meanwhile)")


def _echo_missing(missing: dict[str, list[str]], why: str) -> None:
    """List the files the database refers to that the archive does not hold."""
    if not any(missing.values()):
        return
    click.echo(f"Files the database refers to, {why}:")
    for folder, names in missing.items():
        for name in names:
            click.echo(f"  {folder}/{name}")


@bp.cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(path: Path, force: bool) -> None:
    """Bring back a backup made with `flask backup` (stop the site and workers first); rebuilds the search index."""
    try:
        report = services.restore_archive(path, force=force)
    except UserError as e:
        raise click.ClickException(e.message) from e
    audit.record(None, "backup.restore", detail={"path": str(path), "forced": force,
                                                 "rows": sum(report.tables.values())})
    db.session.commit()
    click.echo(report.summary())
    _echo_missing(report.missing, "not in this backup (missing when it was made)")
