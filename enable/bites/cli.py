"""`flask bites retag`: apply the current taxonomy to every existing bite."""

from __future__ import annotations

import click

from enable.bites import bp


@bp.cli.command("retag")
def retag_command() -> None:
    """Re-detect tags in every bite from its transcript (tags a person removed stay off; manual tags stay)."""
    from enable.bites.services import retag_all
    from enable.extensions import db
    from enable.search.indexing import rebuild_index

    report, _bite_ids = retag_all()
    db.session.commit()
    # Every bite may have changed, so the index is rebuilt in one pass rather than updated bite by bite.
    rebuilt = rebuild_index()
    click.echo(f"{report.summary()}; {rebuilt.bites} bites reindexed")
