"""`flask deals import FILE`: import a CRM export from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from enable.db import utcnow
from enable.deals import bp, importing, jobs
from enable.deals.csv_import import FORMATS, parse_deals
from enable.errors import UserError
from enable.extensions import db


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True,
              help="The CRM the file was exported from; auto recognises it by its columns.")
@click.option("--dry-run", is_flag=True, help="Show what would change without saving anything.")
def import_command(file: Path, fmt: str, dry_run: bool) -> None:
    """Create or update deals from a CSV export (Salesforce, HubSpot, Bitrix24/amoCRM), matched by deal ID."""
    result = parse_deals(file.read_bytes(), fmt)
    try:
        outcome = importing.import_deals(result, actor=None, now=utcnow(), dry_run=dry_run)
    except UserError as e:
        db.session.rollback()
        raise click.ClickException(f"nothing was imported: {e.message}") from e
    for warning in outcome.warnings:
        click.echo(f"line {warning.line}: warning: {warning.reason}")
    for error in outcome.errors:
        click.echo(f"line {error.line}: rejected: {error.reason}")
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run ({outcome.format}, {result.encoding}): would have {outcome.summary()}; nothing saved")
        return
    db.session.commit()
    jobs.enqueue_reindex(outcome.changed_outcome_ids)
    click.echo(f"{file.name} ({outcome.format}, {result.encoding}): {outcome.summary()}")
