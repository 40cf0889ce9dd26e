"""A web process answers a search asked again from the results it computed, until the index changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from enable.search.index import SearchQuery
from enable.search.whoosh_backend import RESULT_CACHE, WhooshIndex
from tests.search.test_whoosh_backend import DOCS, bite, ids


def test_a_search_asked_again_is_answered_from_the_results_of_the_first(tmp_path: Path):
    ix = WhooshIndex(tmp_path / "index")
    ix.add(DOCS)
    q = SearchQuery(text="expensive", filters={"stage": ["negotiation", "closing"]})
    first = ix.search(q)
    assert ix.search(replace(q, filters={"stage": ["negotiation", "closing"]})) is first
    # Anything else about the query is another search: page, page size, sort, filters, dates, counts only.
    others = [replace(q, page=2), replace(q, per_page=1), replace(q, sort="date"), replace(q, filters={}),
              replace(q, filters={"stage": ["negotiation"]}), replace(q, counts_only=True), replace(q, text="price")]
    for other in others:
        assert ix.search(other) is not first
    assert ids(ix.search(replace(q, filters={}))) != [] and ix.search(replace(q, text="price")).total != first.total
    # A filter with no values accepted matches nothing, and is not the search without that filter.
    assert ix.search(SearchQuery(text="expensive")).total == 2
    assert ix.search(SearchQuery(text="expensive", filters={"stage": []})).total == 0


def test_a_commit_by_another_process_is_seen_by_the_same_search(tmp_path: Path):
    web = WhooshIndex(tmp_path / "index")
    worker = WhooshIndex(tmp_path / "index")
    worker.add(DOCS)
    q = SearchQuery(text="expensive")
    assert sorted(ids(web.search(q))) == [1, 2]
    worker.add([bite(6, "Still too expensive, says finance.", call_id=9)])
    assert sorted(ids(web.search(q))) == [1, 2, 6]
    worker.delete([1])
    assert sorted(ids(web.search(q))) == [2, 6]


def test_the_cache_keeps_the_searches_asked_last(tmp_path: Path):
    ix = WhooshIndex(tmp_path / "index")
    ix.add(DOCS)
    popular, rare = ix.search(SearchQuery(text="expensive")), ix.search(SearchQuery(text="price"))
    for n in range(RESULT_CACHE - 1):
        ix.search(SearchQuery(text=f"word{n}"))
        assert ix.search(SearchQuery(text="expensive")) is popular  # asked again and again: kept
    assert len(ix._results) == RESULT_CACHE
    again = ix.search(SearchQuery(text="price"))  # asked longest ago: computed again
    assert again is not rare and ids(again) == ids(rare)
