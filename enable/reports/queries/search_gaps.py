"""Report 6, search gaps: what people search for often and find little or nothing for — the content to make next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from enable.extensions import db
from enable.reports.charts import HBarChart, hbar_chart
from enable.reports.filters import Scope
from enable.reports.tables import Column, Table, count, pct
from enable.search.models import SearchLog

FEW_RESULTS = 3  # a query whose latest search found this many results or fewer is a gap
MAX_GAPS = 200
CHART_GAPS = 15


@dataclass(frozen=True)
class SearchGap:
    """One query (compared case- and space-insensitively) and how its searches went."""

    query: str
    searches: int
    users: int
    empty: int  # searches that found nothing
    latest_results: int
    last_at: datetime


@dataclass(frozen=True)
class SearchGapReport:
    searches: int  # text searches in the scope
    empty: int  # of which found nothing
    few: int
    gaps: list[SearchGap]

    @property
    def empty_share(self) -> float | None:
        return self.empty / self.searches if self.searches else None

    def tables(self) -> dict[str, Table]:
        table = Table("gaps", _("Queries with few or no results"), [
            Column(_("Query"), wide=True), Column(_("Searches"), True), Column(_("People"), True),
            Column(_("Searches with no results"), True), Column(_("Results last time"), True),
            Column(_("Last searched")),
        ])
        for g in self.gaps:
            table.add([g.query, count(g.searches), count(g.users), count(g.empty), count(g.latest_results),
                       g.last_at.date().isoformat()], url_for("search.index", q=g.query))
        return {table.name: table}

    def chart(self) -> HBarChart:
        return hbar_chart([(g.query, g.searches) for g in self.gaps[:CHART_GAPS]])

    def summary_cells(self) -> tuple[str, str]:
        return count(self.searches), pct(self.empty_share)


def _key(query: str) -> str:
    return " ".join(query.lower().split())


def search_gaps(scope: Scope, few: int = FEW_RESULTS) -> SearchGapReport:
    """Queries searched in the scope whose latest search found `few` results or fewer, most searched first."""
    stmt = select(SearchLog.query, SearchLog.result_count, SearchLog.created_at, SearchLog.user_id).where(
        *scope.time_conditions(SearchLog.created_at), SearchLog.query != "")
    members = scope.member_ids()
    if members is not None:
        stmt = stmt.where(SearchLog.user_id.in_(members))
    groups: dict[str, list[tuple[str, int, datetime, int | None]]] = {}
    total = empty = 0
    for query, results, at, user_id in db.session.execute(stmt.order_by(SearchLog.created_at, SearchLog.id)):
        key = _key(query)
        if not key:
            continue
        total += 1
        empty += results == 0
        groups.setdefault(key, []).append((query.strip(), results, at, user_id))
    gaps = []
    for searches in groups.values():
        _q, latest, last_at, _u = searches[-1]
        if latest > few:
            continue
        # Show the spelling people used most, the latest of equals.
        spellings = Counter(q for q, *_rest in searches)
        shown = max(spellings, key=lambda q: (spellings[q], max(i for i, s in enumerate(searches) if s[0] == q)))
        gaps.append(SearchGap(shown, len(searches), len({u for *_r, u in searches if u is not None}),
                              sum(1 for s in searches if s[1] == 0), latest, last_at))
    gaps.sort(key=lambda g: (-g.searches, -g.empty, g.query.lower()))
    return SearchGapReport(total, empty, few, gaps[:MAX_GAPS])
