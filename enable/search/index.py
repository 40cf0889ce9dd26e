"""The search interface every backend implements: documents, queries, results and the protocol.

Backend-neutral and pure: the Whoosh backend lives in ``whoosh_backend.py``; a PostgreSQL one
could implement the same ``SearchIndex``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

TAG_KINDS = ("objection", "competitor", "phase", "persona", "product", "industry", "topic")
# Every field a query may filter on, and the order in which facets are listed.
FILTER_FIELDS = (*TAG_KINDS, "stage", "rep", "outcome", "language", "team_id")
OUTCOMES = ("won", "lost", "open", "none")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100


class IndexCorrupt(Exception):
    """The index on disk cannot be read; rebuild it with ``flask search rebuild``."""


@dataclass(frozen=True, slots=True)
class BiteDoc:
    """One bite as the index sees it; times in seconds from the call start."""

    id: int
    call_id: int
    call_title: str
    title: str
    text: str
    language: str
    rep: str = ""
    team_id: int | None = None
    stage: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    outcome: str = "none"
    call_date: date | None = None
    start_s: float = 0.0
    end_s: float = 0.0
    is_best: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a user asked for: free text, filters (OR within a field, AND across), dates, sort, page."""

    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: Literal["relevance", "date"] = "relevance"
    page: int = 1
    per_page: int = 20
    counts_only: bool = False  # only the total and the facet counts are wanted: a backend may leave hits empty


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the bite id, its score and an HTML snippet with matched words in <mark>."""

    id: int
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits, the total, facet counts per field, a spelling suggestion and any query error."""

    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    error: str | None = None


class SearchIndex(Protocol):
    """A full-text index of bites; implementations must be safe for a web process and a worker."""

    def add(self, docs: Iterable[BiteDoc]) -> None:
        """Add or replace (by id) these bites."""
        ...

    def delete(self, ids: Iterable[int]) -> None:
        """Remove the bites with these ids; unknown ids are ignored."""
        ...

    def delete_call(self, call_id: int) -> None:
        """Remove every bite of one call."""
        ...

    def replace_call(self, call_id: int, docs: Iterable[BiteDoc]) -> None:
        """Replace every bite of one call with these, in one write: readers see the old bites or the new ones."""
        ...

    def search(self, q: SearchQuery) -> SearchResult:
        """Run a query; never raises for anything a user typed (see ``SearchResult.error``)."""
        ...

    def clear(self) -> None:
        """Remove every bite."""
        ...

    def count(self) -> int:
        """Return the number of bites indexed."""
        ...

    def check(self) -> None:
        """Raise IndexCorrupt if the index cannot be read."""
        ...

    def rebuild(self, docs: Iterable[BiteDoc]) -> None:
        """Replace the whole index with these bites in one pass."""
        ...
