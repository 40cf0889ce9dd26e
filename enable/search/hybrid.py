"""Hybrid search: the word index's ranking (BM25) and the nearest moments by meaning, fused into one.

Pure: no Flask, no database. ``HybridSearch`` takes any ``SearchIndex`` and the moments near the query (bite id,
cosine, the sentence); the caller finds those (``enable.search.by_meaning``).

Fusion: reciprocal rank fusion (Cormack et al. 2009), score(bite) = sum over the lists holding it of
1 / (RRF_K + rank), ranks from 1. It needs no calibration between BM25 scores and cosines; bench/meaning.py
measures it against ``weighted_fusion`` (min-max normalised scores, mixed) and against words alone.

How a page is made (facets apply to both sides):

1. The word side: the index's own search, asked for its first ``FUSION_DEPTH`` hits (``depth``), whatever the page:
   every page is cut from the one fused list, so pages neither repeat nor skip a result.
2. The meaning side: the ``MEANING_DEPTH`` moments nearest the query, kept when they pass the filters and dates
   (``SearchIndex.among``), in the order of their cosine. Those whose words also match are in the word side's list
   somewhere.
3. The total and the facet counts: one count of "words match OR found by meaning" under the filters
   (``SearchQuery.also_ids``), asked only when some moment was found by meaning only.
4. The fused list: the word side's ``depth`` hits and the moments by meaning only, ordered by RRF. Results past
   it are the word side's, in BM25 order (a moment by meaning never sits further down than ``depth``).

Best examples are not lifted first here (the word index does that within its own list); a moment matched by meaning
only gets the sentence that matched as its snippet.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from enable.search.index import MAX_PER_PAGE, SearchHit, SearchIndex, SearchQuery, SearchResult

RRF_K = 60  # the constant of the original paper; it damps the difference between the very first ranks
MEANING_DEPTH = 50  # moments by meaning taken into a search (each costs a filter check in the word index)
FUSION_DEPTH = MAX_PER_PAGE  # word hits fused with the moments by meaning, the same for every page


@dataclass(frozen=True, slots=True)
class Moment:
    """A bite found by meaning: its best sentence, the second it starts and its cosine to the query."""

    bite_id: int
    score: float
    sentence: str
    start_s: float


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists: (id, fused score), best first, ties by first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def weighted_fusion(scored: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]) -> list[tuple[int, float]]:
    """The alternative measured against RRF: each list's scores min-max normalised to 0..1, weighted and summed."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(scored, weights, strict=True):
        if not ranking:
            continue
        values = [s for _item, s in ranking]
        low, high = min(values), max(values)
        for item, score in ranking:
            norm = (score - low) / (high - low) if high > low else 1.0
            scores[item] = scores.get(item, 0.0) + weight * norm
    return sorted(scores.items(), key=lambda pair: -pair[1])


def meaning_snippet(sentence: str) -> str:
    """The snippet of a moment found by meaning: the sentence that matched, escaped, marked as a whole."""
    return f'<mark class="by-meaning">{html.escape(sentence)}</mark>'


class HybridSearch:
    """A ``SearchIndex.search`` that also finds moments by meaning; see the module docstring."""

    def __init__(self, index: SearchIndex, moments: Callable[[str], Sequence[Moment] | None]) -> None:
        self.index = index
        self.moments = moments

    def search(self, q: SearchQuery) -> SearchResult:
        """Run a query; words only when it has no text, sorts by date, or nothing is found by meaning."""
        if not q.text.strip() or q.sort == "date":
            return self.index.search(q)
        near = list(self.moments(q.text) or ())[:MEANING_DEPTH]
        if not near:
            return self.index.search(q)
        passing, worded = self.index.among(q, [m.bite_id for m in near])
        only_meaning = [i for i in passing if i not in worded]
        if not only_meaning:
            return self.index.search(q)
        counted = self.index.search(replace(q, also_ids=tuple(only_meaning), counts_only=True, page=1, per_page=1))
        if q.counts_only:
            return counted
        per_page = max(1, min(q.per_page, MAX_PER_PAGE))
        start = (max(q.page, 1) - 1) * per_page
        # One depth for every page: each page is cut from the same fused list (a depth growing with the page would
        # fuse another list per page, and pages would repeat some results and skip others).
        depth = FUSION_DEPTH
        words = self.index.search(replace(q, page=1, per_page=depth))
        by_id = {m.bite_id: m for m in near}
        hits_of = {h.id: h for h in words.hits}
        # Moments whose words match below the word side's depth stay out: they come later, in BM25 order.
        meaning_rank = [i for i in passing if i in hits_of or i not in worded]
        fused_ids = [i for i, _score in rrf([[h.id for h in words.hits], meaning_rank])]
        fused = [hits_of.get(i) or SearchHit(i, by_id[i].score, meaning_snippet(by_id[i].sentence))
                 for i in fused_ids]
        page = fused[start : start + per_page]
        if len(page) < per_page and len(words.hits) == depth:
            page += self._word_hits(q, start + len(page) - len(only_meaning), per_page - len(page))
        return SearchResult(hits=page, total=counted.total, facets=counted.facets,
                            suggestion=words.suggestion, error=words.error)

    def _word_hits(self, q: SearchQuery, offset: int, limit: int) -> list[SearchHit]:
        """The word side's hits offset..offset+limit (BM25 order), read in pages of `limit`."""
        found: list[SearchHit] = []
        page = offset // limit + 1
        skip = offset - (page - 1) * limit
        while len(found) < limit:
            hits = self.index.search(replace(q, page=page, per_page=limit)).hits
            found += hits[skip:]
            if len(hits) < limit:
                break
            page, skip = page + 1, 0
        return found[:limit]
