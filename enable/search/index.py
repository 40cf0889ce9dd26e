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
# Who said a detected tag's evidence ("the customer raised price"): the "said_by" facet's values.
SPEAKER_ROLES = ("customer", "rep")
# Every field a query may filter on, and the order in which facets are listed.
FILTER_FIELDS = (*TAG_KINDS, "said_by", "stage", "rep", "outcome", "language", "team_id")
# A field indexed for filtering but never listed as a facet: "kind/key/role" of each detected tag and who said it,
# so that "said by the customer" with "objection: price" means the customer said the price objection.
SAID_FIELD = "said"
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
    said: tuple[tuple[str, str, str], ...] = ()  # (kind, key, role) of the detected tags whose speaker is known


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
    also_ids: tuple[int, ...] = ()  # bites matched by meaning: they match as if the text matched (filters apply)


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


def speaker_role(speaker: str | None) -> str | None:
    """The role of a transcript's speaker label: "rep", "customer" (also "customer2"...), else None (unknown)."""
    if not speaker:
        return None
    if speaker == "rep":
        return "rep"
    if speaker == "customer" or (speaker.startswith("customer") and speaker[len("customer"):].isdigit()):
        return "customer"
    return None


def said_by_values(doc: BiteDoc) -> list[str]:
    """The "said_by" facet values of a bite: the roles that said one of its detected tags."""
    return [role for role in SPEAKER_ROLES if any(r == role for _kind, _key, r in doc.said)]


def said_values(doc: BiteDoc) -> list[str]:
    """The SAID_FIELD values of a bite: "kind/key/role" of each detected tag and who said it."""
    return sorted({said_key(kind, key, role) for kind, key, role in doc.said})


def said_key(kind: str, key: str, role: str) -> str:
    """One SAID_FIELD value (commas, which the Whoosh index splits on, made spaces)."""
    return f"{kind}/{key}/{role}".replace(",", " ")


def effective_filters(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """The filters a backend applies: "said_by" together with tag filters means those tags said by those roles.

    With "objection: price" and "said by: customer", a bite matches when the customer said the price objection (not
    when the customer said something else tagged and the rep mentioned price). With several tag kinds selected, one
    of the selected tags said by the role is enough. Without tag filters, "said_by" keeps bites where the role said
    any detected tag.
    """
    roles = [r for r in filters.get("said_by", []) if r]
    tagged = {kind: values for kind, values in filters.items() if kind in TAG_KINDS and values}
    if not roles or not tagged:
        return filters
    rewritten = {name: values for name, values in filters.items() if name != "said_by"}
    rewritten[SAID_FIELD] = [said_key(kind, value, role) for kind, values in tagged.items() for value in values
                             for role in roles]
    return rewritten


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

    def among(self, q: SearchQuery, ids: Iterable[int]) -> tuple[list[int], set[int]]:
        """Of these bite ids, those that pass the query's filters and dates (in the order given), and the subset of
        those whose words also match its text (search by meaning: which moments are found by meaning only)."""
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
