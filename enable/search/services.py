"""The query side of search: run a query through the index, join hits to bites, label facets, log it."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from enable.auth.models import User
from enable.bites.models import Bite, BiteTag
from enable.calls.models import Call
from enable.deals.models import OUTCOME_LABELS, Deal, DealOutcome
from enable.errors import UserError
from enable.extensions import db
from enable.search import by_meaning
from enable.search.hybrid import HybridSearch, Moment
from enable.search.index import IndexCorrupt, SearchQuery, SearchResult
from enable.search.indexing import get_index
from enable.search.models import SearchLog
from enable.taxonomy.models import KIND_LABELS, Tag, TagKind

log = logging.getLogger(__name__)

# The facets the search page lists, in order; tag kinds first, then the call's attributes.
FACET_FIELDS = ("objection", "said_by", "stage", "phase", "competitor", "persona", "product", "industry", "topic",
                "rep", "outcome", "language")
TAG_FACETS = frozenset(k.value for k in TagKind)
FACET_LABELS = {
    **{k.value: KIND_LABELS[k] for k in TagKind},  # lazy: k.label would freeze the language at import
    "said_by": _l("Said by"),
    "rep": _l("Rep"),
    "outcome": _l("Deal outcome"),
    "language": _l("Language"),
}
SAID_BY_LABELS = {"customer": _l("The customer"), "rep": _l("The rep")}
PER_PAGE = 20
MAX_PAGE = 500
LOGGED_QUERY_CHARS = 500


class SearchUnavailable(UserError):
    """The index cannot be read; an admin must rebuild it."""

    status_code = 503


@dataclass(frozen=True)
class FacetOption:
    """One value of a facet: what the URL carries, what people read, how many bites it would give."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    field: str
    label: str
    options: list[FacetOption]


@dataclass(frozen=True, slots=True)
class DealSummary:
    name: str
    outcome: DealOutcome


@dataclass(frozen=True, slots=True)
class RepSummary:
    name: str


@dataclass(frozen=True, slots=True)
class CallSummary:
    title: str
    call_date: date | None
    effective_language: str | None
    rep: RepSummary | None
    deal: DealSummary | None


@dataclass(frozen=True, slots=True)
class BiteSummary:
    """What a search result shows of a bite and its call, with the attribute names of the models (the results
    template reads either), read in one query of plain rows: ORM objects for twenty bites, calls, reps and deals cost
    more than the rest of the database work of a results page."""

    id: int
    title: str
    is_best: bool
    start_s: float
    end_s: float
    call: CallSummary


@dataclass(frozen=True)
class ResultRow:
    """One hit joined to its bite; snippet is HTML the index escaped, with matched words in <mark>."""

    bite: Bite | BiteSummary
    snippet: str
    tags: list[Tag]


@dataclass(frozen=True)
class DropSuggestion:
    """A filter whose removal would give results: None field means the date range."""

    field: str | None
    label: str
    count: int


@dataclass
class SearchPage:
    """Everything the search page shows for one query."""

    query: SearchQuery
    rows: list[ResultRow]
    total: int
    facets: list[Facet]
    suggestion: str | None = None
    error: str | None = None
    drops: list[DropSuggestion] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def is_filtered(self) -> bool:
        return bool(self.query.filters or self.query.date_from or self.query.date_to)


def _moments(text: str) -> list[Moment] | None:
    near = by_meaning.nearest_moments(text)
    return None if near is None else [Moment(n.bite_id, n.score, n.text, n.start_s) for n in near]


def run_index_query(q: SearchQuery) -> SearchResult:
    """Run one query through the configured index, with moments found by meaning when EMBEDDING_MODEL is on; an
    unreadable index becomes a message for the user."""
    try:
        if by_meaning.model_name() is None:
            return get_index().search(q)
        return HybridSearch(get_index(), _moments).search(q)
    except IndexCorrupt as exc:
        raise unavailable(exc) from exc


def unavailable(exc: IndexCorrupt) -> SearchUnavailable:
    """What a user is told (and the log says) when the word index cannot be read."""
    log.error("search index unreadable: %s", exc)
    return SearchUnavailable(
        _("Search is unavailable because its index cannot be read. Ask an admin to run “flask search rebuild”."))


def search_bites(q: SearchQuery, user: User | None, locale: str, *, record: bool = True,
                 summaries: bool = False) -> SearchPage:
    """Run a search for `user`: hits joined to bites, labelled facets with counts, spelling and drop hints.

    Rows carry Bite models (call, rep and deal loaded), or with `summaries` just what a results page shows of them
    (``BiteSummary``). The first page of every search with text or filters is logged (SearchLog) with its result
    count.
    """
    result = run_index_query(q)
    rows = _rows(result, summaries)
    # Counts for a selected facet come from the same search without that facet's own filter, so a
    # rep ticking "price" still sees how many bites "timing" would add.
    without: dict[str, SearchResult] = {
        name: run_index_query(_narrow(q, drop=name)) for name in q.filters if q.filters[name]
    }
    names = _tag_names(locale)
    facets = [_facet(name, result, without.get(name), q, names, locale) for name in FACET_FIELDS]
    page = SearchPage(query=q, rows=rows, total=result.total, facets=[f for f in facets if f.options],
                      suggestion=result.suggestion, error=result.error)
    if result.total == 0 and page.is_filtered:
        page.drops = _drop_suggestions(q, without, names, locale)
    if record and q.page == 1 and (q.text.strip() or page.is_filtered):
        log_search(user, q, result.total)
    return page


def log_search(user: User | None, q: SearchQuery, result_count: int) -> SearchLog:
    """Record one search with its result count, for the search-gap report; the caller commits."""
    filters: dict[str, Any] = {name: list(values) for name, values in q.filters.items() if values}
    if q.date_from:
        filters["date_from"] = q.date_from.isoformat()
    if q.date_to:
        filters["date_to"] = q.date_to.isoformat()
    entry = SearchLog(user_id=getattr(user, "id", None), query=q.text.strip()[:LOGGED_QUERY_CHARS],
                      filters=filters, result_count=result_count)
    db.session.add(entry)
    return entry


def all_tags() -> list[Tag]:
    """Every tag of the taxonomy (a few dozen rows), loaded once per request (for labels and result chips)."""
    tags = g.get("_enable_all_tags") if has_request_context() else None
    if tags is None:
        tags = list(db.session.scalars(select(Tag)))
        if has_request_context():
            g._enable_all_tags = tags
    return tags


def bites_by_id(ids: Sequence[int], *, with_tags: bool = True) -> list[Bite]:
    """The bites with these ids, in the order given, with call, rep, deal (and tags) loaded; unknown ids dropped."""
    if not ids:
        return []
    query = select(Bite).where(Bite.id.in_(ids)).options(
        joinedload(Bite.call).joinedload(Call.rep),
        joinedload(Bite.call).joinedload(Call.deal),
    )
    if with_tags:
        query = query.options(selectinload(Bite.tags).selectinload(BiteTag.tag))
    found = {b.id: b for b in db.session.scalars(query)}
    return [found[i] for i in ids if i in found]


_KIND_ORDER = {kind: i for i, kind in enumerate(TagKind)}


def _tag_order(tag: Tag) -> tuple[int, int, str]:
    return _KIND_ORDER[tag.kind], tag.position, tag.key


def visible_tags(bite: Bite) -> list[Tag]:
    """The tags a bite carries (not those a person removed), by kind and order."""
    return sorted((bt.tag for bt in bite.tags if not bt.is_removed), key=_tag_order)


def _visible_tags_of(bite_ids: Sequence[int]) -> dict[int, list[Tag]]:
    """visible_tags of each of these bites, in one query of (bite, tag) ids and the request's tags."""
    by_id = {t.id: t for t in all_tags()}
    found: dict[int, list[Tag]] = {i: [] for i in bite_ids}
    pairs = db.session.execute(select(BiteTag.bite_id, BiteTag.tag_id)
                               .where(BiteTag.bite_id.in_(bite_ids), BiteTag.is_removed.is_(False)))
    for bite_id, tag_id in pairs:
        tag = by_id.get(tag_id) or db.session.get(Tag, tag_id)  # a tag added since all_tags() ran
        if tag is not None:
            found[bite_id].append(tag)
    for tags in found.values():
        tags.sort(key=_tag_order)
    return found


@cache
def _summary_query() -> Select:
    """The query of bite_summaries, built once: building it (with its aliased rep) cost more than running it."""
    rep = aliased(User)
    return (
        select(Bite.id, Bite.title, Bite.is_best, Bite.start_s, Bite.end_s, Call.title, Call.call_date,
               Call.detected_language, Call.language, rep.name, Deal.name, Deal.outcome)
        .join(Call, Bite.call_id == Call.id)
        .outerjoin(rep, Call.rep_id == rep.id)
        .outerjoin(Deal, Call.deal_id == Deal.id)
        .where(Bite.id.in_(bindparam("ids", expanding=True)))
    )


def bite_summaries(ids: Sequence[int]) -> list[BiteSummary]:
    """Summaries of the bites with these ids (in no particular order; unknown ids dropped), in one query."""
    if not ids:
        return []
    rows = db.session.execute(_summary_query(), {"ids": list(ids)})
    return [
        BiteSummary(bite_id, title, is_best, start_s, end_s,
                    CallSummary(call_title, call_date, detected or asked,
                                RepSummary(rep_name) if rep_name is not None else None,
                                DealSummary(deal_name, outcome) if deal_name is not None else None))
        for (bite_id, title, is_best, start_s, end_s, call_title, call_date, detected, asked, rep_name, deal_name,
             outcome) in rows
    ]


def _rows(result: SearchResult, summaries: bool = False) -> list[ResultRow]:
    """The hits joined to their bites (two queries: bites with call, rep and deal; their tags' ids)."""
    ids = [h.id for h in result.hits]
    found = bite_summaries(ids) if summaries else bites_by_id(ids, with_tags=False)
    bites: dict[int, Bite | BiteSummary] = {b.id: b for b in found}
    missing = [h.id for h in result.hits if h.id not in bites]
    if missing:
        log.warning("search index holds %d deleted bites (%s...); run `flask search rebuild`", len(missing),
                    missing[:5])
    tags = _visible_tags_of(list(bites)) if bites else {}
    return [ResultRow(bite=bites[h.id], snippet=h.snippet, tags=tags[h.id]) for h in result.hits if h.id in bites]


def _narrow(q: SearchQuery, drop: str | None = None, drop_dates: bool = False) -> SearchQuery:
    """The query without one filter (or without the date range), asking for the least work: counts only."""
    filters = {k: v for k, v in q.filters.items() if k != drop}
    narrowed = replace(q, filters=filters, page=1, per_page=1, counts_only=True)
    return replace(narrowed, date_from=None, date_to=None) if drop_dates else narrowed


def _tag_names(locale: str) -> dict[tuple[str, str], str]:
    """(kind, key) -> display name in the locale, for every tag."""
    return {(t.kind.value, t.key): t.name_in(locale) for t in all_tags()}


def value_label(name: str, value: str, names: dict[tuple[str, str], str], locale: str) -> str:
    """What people read for one facet value: tag names, outcome labels, language names; else the value."""
    if name in TAG_FACETS:
        return names.get((name, value), value)
    if name == "said_by":
        return str(SAID_BY_LABELS.get(value, value))
    if name == "outcome":
        return str(OUTCOME_LABELS[DealOutcome(value)]) if value in set(DealOutcome) else _("No deal")
    if name == "language":
        try:
            return Locale.parse(value).get_display_name(locale) or value
        except (ValueError, UnknownLocaleError):
            return value
    return value


def _facet(name: str, result: SearchResult, without: SearchResult | None, q: SearchQuery,
           names: dict[tuple[str, str], str], locale: str) -> Facet:
    counts = dict((without or result).facets.get(name, []))
    selected = {v.casefold() for v in q.filters.get(name, [])}
    for value in q.filters.get(name, []):  # a selected value stays listed (to untick) even with no bites
        if not any(v.casefold() == value.casefold() for v in counts):
            counts[value] = 0
    options = [FacetOption(value, value_label(name, value, names, locale), n, value.casefold() in selected)
               for value, n in counts.items()]
    options.sort(key=lambda o: (not o.selected, -o.count, o.label.casefold()))
    return Facet(name, str(FACET_LABELS[name]), options)


def _drop_suggestions(q: SearchQuery, without: dict[str, SearchResult], names: dict[tuple[str, str], str],
                      locale: str) -> list[DropSuggestion]:
    """Filters whose removal would give results, most results first."""
    drops: list[DropSuggestion] = []
    for name, result in without.items():
        if result.total:
            values = ", ".join(value_label(name, v, names, locale) for v in q.filters[name])
            drops.append(DropSuggestion(name, f"{FACET_LABELS.get(name, name)}: {values}", result.total))
    if q.date_from or q.date_to:
        total = run_index_query(_narrow(q, drop_dates=True)).total
        if total:
            drops.append(DropSuggestion(None, _("the call date range"), total))
    return sorted(drops, key=lambda d: -d.count)


def best_examples(limit: int = 5) -> list[Bite]:
    """The most recently marked best-example bites, newest calls first."""
    return list(db.session.scalars(
        select(Bite).where(Bite.is_best.is_(True)).options(selectinload(Bite.call))
        .order_by(Bite.updated_at.desc().nulls_last(), Bite.id.desc()).limit(limit)
    ))


@dataclass(frozen=True)
class ShelfEntry:
    """One stage or objection on the library page, with its bite count."""

    field: str
    value: str
    label: str
    count: int


def library_shelves(locale: str) -> dict[str, list[ShelfEntry]]:
    """Stages (in sales order) and objections (in taxonomy order), each with how many bites carry it."""
    result = run_index_query(SearchQuery(per_page=1, counts_only=True))
    shelves: dict[str, list[ShelfEntry]] = {}
    for kind in (TagKind.STAGE, TagKind.OBJECTION):
        counts = {v.casefold(): n for v, n in result.facets.get(kind.value, [])}
        tags = db.session.scalars(select(Tag).where(Tag.kind == kind).order_by(Tag.position, Tag.key))
        shelves[kind.value] = [ShelfEntry(kind.value, t.key, t.name_in(locale), counts.get(t.key.casefold(), 0))
                               for t in tags]
    return shelves
