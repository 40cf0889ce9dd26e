"""`flask search rebuild` (and, from issue 4, `flask search query`)."""

from __future__ import annotations

import click

from enable.search import bp


@bp.cli.command("rebuild")
@click.option("--no-recut", is_flag=True, help="Do not cut bites again for ready calls that have none.")
def rebuild_command(no_recut: bool) -> None:
    """Rebuild the search index from the database and the transcript files (also repairs a corrupt index)."""
    from enable.extensions import db
    from enable.search.index import IndexCorrupt
    from enable.search.indexing import rebuild_index, recut_missing_bites

    recut = 0 if no_recut else recut_missing_bites()
    db.session.commit()
    try:
        report = rebuild_index()
    except IndexCorrupt as e:  # e.g. SEARCH_BACKEND=postgres before `flask db upgrade` made its tables
        raise click.ClickException(str(e)) from e
    report.recut_calls = recut
    click.echo(report.summary())


@bp.cli.command("query")
@click.argument("text")
@click.option("--objection", multiple=True, help="Only bites with this objection tag key (repeatable: any of them).")
@click.option("--stage", multiple=True, help="Only bites of this stage key (repeatable: any of them).")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="Results to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def query_command(text: str, objection: tuple[str, ...], stage: tuple[str, ...], sort: str, limit: int,
                  as_json: bool) -> None:
    """Search the bites as the search page does; print bite id, call, times, tags and snippet."""
    import html
    import json
    import re
    from typing import Any

    from enable.errors import UserError
    from enable.search.index import SearchQuery
    from enable.search.services import bites_by_id, run_index_query, visible_tags

    filters = {name: list(values) for name, values in (("objection", objection), ("stage", stage)) if values}
    try:
        result = run_index_query(SearchQuery(text=text, filters=filters, sort=sort, per_page=limit))  # type: ignore[arg-type]
    except UserError as e:
        raise click.ClickException(e.message) from e
    bites = {b.id: b for b in bites_by_id([h.id for h in result.hits])}
    rows: list[dict[str, Any]] = []
    for hit in result.hits:
        bite = bites.get(hit.id)
        if bite is None:
            continue
        rows.append({
            "bite_id": bite.id, "call_id": bite.call_id, "call_title": bite.call.title, "title": bite.title,
            "start_s": bite.start_s, "end_s": bite.end_s, "score": round(hit.score, 4), "is_best": bite.is_best,
            "tags": [f"{t.kind.value}:{t.key}" for t in visible_tags(bite)],
            "snippet": html.unescape(re.sub(r"</?mark>", "", hit.snippet)), "snippet_html": hit.snippet,
        })
    if as_json:
        click.echo(json.dumps({"query": text, "filters": filters, "total": result.total, "error": result.error,
                               "suggestion": result.suggestion, "hits": rows}, ensure_ascii=False, indent=2))
        return
    if result.error:
        click.echo(f"note: {result.error}", err=True)
    for row in rows:
        click.echo(f"bite {row['bite_id']}  call {row['call_id']}  {row['start_s']:.1f}-{row['end_s']:.1f} s  "
                   f"{', '.join(row['tags']) or '(no tags)'}")
        click.echo(f"    {row['snippet']}")
    if not rows:
        click.echo("No bites match." + (f" Did you mean: {result.suggestion}" if result.suggestion else ""))
    else:
        click.echo(f"{result.total} bites match; {len(rows)} shown.")
