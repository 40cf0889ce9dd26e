"""A web process's open index after another process commits: new, changed, deleted and merged bites all show, and
only the segments that changed are opened again (opening the big one costs seconds at 100,000 bites)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from enable.search.index import SearchQuery
from enable.search.whoosh_backend import WhooshIndex
from tests.search.test_whoosh_backend import DOCS, bite, ids


@pytest.fixture
def writer(tmp_path: Path) -> WhooshIndex:
    ix = WhooshIndex(tmp_path / "index")  # the worker process
    ix.add(DOCS)
    return ix


@pytest.fixture
def web(tmp_path: Path, writer: WhooshIndex) -> WhooshIndex:
    ix = WhooshIndex(tmp_path / "index")  # a web process, with its index open
    assert ix.search(SearchQuery(text="expensive")).total == 2
    return ix


def _leaf_readers(ix: WhooshIndex) -> list:
    return [reader for reader, _ in ix._current().searcher.reader().leaf_readers()]


def test_a_new_bite_shows_in_results_facets_and_date_order_and_the_old_segment_stays_open(writer, web):
    before = _leaf_readers(web)
    writer.add([bite(6, "The new price is too expensive for finance.", rep="Cara New", stage="closing",
                     tags={"objection": ["price"]}, call_id=9, call_date=date(2025, 1, 1))])

    result = web.search(SearchQuery(text="expensive"))
    assert sorted(ids(result)) == [1, 2, 6]
    assert ("Cara New", 1) in result.facets["rep"]
    assert ("closing", 1) in result.facets["stage"]
    assert ids(web.search(SearchQuery(sort="date", per_page=2))) == [6, 2]  # newest call first
    assert web.count() == 6
    after = _leaf_readers(web)
    assert after[0] is before[0]  # the unchanged segment was not opened again
    assert len(after) == 2


def test_a_bite_changed_or_deleted_in_an_old_segment_is_gone_from_its_results(writer, web):
    old_segment = _leaf_readers(web)[0]
    writer.add([bite(1, "Now this bite talks about onboarding only.", rep="Anna Petrova")])  # replaces bite 1
    writer.delete([4])

    assert ids(web.search(SearchQuery(text="expensive"))) == [2]
    assert ids(web.search(SearchQuery(text="onboarding"))) == [1]
    assert web.search(SearchQuery(text="gong")).total == 0
    assert web.count() == 4
    result = web.search(SearchQuery())
    assert dict(result.facets["rep"]) == {"Anna Petrova": 1, "Bob Stone": 1, "Иван": 1}
    # The old segment's files were not opened again for its new deletions: the reader shares them, and took over
    # the columns already read (the stored fields, read for the results).
    now = _leaf_readers(web)[0]
    assert now is not old_segment and now._terms is old_segment._terms and now.has_deletions()
    assert not now.is_closed and old_segment.is_closed  # the old reader retired, the shared files open
    assert "_stored" in now._perdoc._colfiles
    writer.delete([5])
    assert web.count() == 3 and _leaf_readers(web)[0]._perdoc._colfiles  # handed on again
    assert [h.id for h in web.search(SearchQuery(text="onboarding")).hits] == [1]  # stored fields still read


def test_merged_segments_hold_each_bite_once(writer, web):
    for n in range(6, 26):  # small commits, which Whoosh merges now and then
        writer.add([bite(n, f"Bite number {n} mentions zebrafish.", call_id=n)])
        assert web.search(SearchQuery(text="zebrafish")).total == n - 5
    writer._index().optimize()  # everything merged into one segment

    result = web.search(SearchQuery(per_page=100))
    assert sorted(ids(result)) == list(range(1, 26))
    assert web.count() == 25
    assert len(_leaf_readers(web)) == 1
    assert web.search(SearchQuery(text="zebrafish", per_page=100)).total == 20


def test_a_calls_new_bites_arrive_in_one_commit_and_cached_words_count_them(writer, web):
    """replace_call writes once (a web process reopens once per processed call); words, filters and facets a web
    process had already counted carry over to the new snapshot with the new segment's bites added."""
    assert web.search(SearchQuery(filters={"stage": ["negotiation"]})).total >= 1
    before = dict(web.search(SearchQuery()).facets["stage"])
    generation = writer._index().latest_generation()

    writer.replace_call(9, [bite(30, "Too expensive, said the buyer again.", call_id=9, stage="negotiation"),
                            bite(31, "Expensive but worth it.", call_id=9, stage="negotiation")])

    assert writer._index().latest_generation() == generation + 1
    assert sorted(ids(web.search(SearchQuery(text="expensive")))) == [1, 2, 30, 31]
    assert web._current()._carried is not None  # counted from the previous snapshot's bitsets
    assert dict(web.search(SearchQuery()).facets["stage"])["negotiation"] == before["negotiation"] + 2
    negotiation = web.search(SearchQuery(text="expensive", filters={"stage": ["negotiation"]}))
    assert {30, 31} <= set(ids(negotiation))

    writer.replace_call(9, [bite(32, "Now only timing is discussed.", call_id=9, stage="closing")])

    assert sorted(ids(web.search(SearchQuery(text="expensive")))) == [1, 2]
    assert web._current()._carried is not None  # deletions in a kept segment: carried, less the deleted bites
    assert dict(web.search(SearchQuery()).facets["stage"])["negotiation"] == before["negotiation"]
    assert ids(web.search(SearchQuery(text="timing"))) == [32]


def _view(ix: WhooshIndex, q: SearchQuery) -> tuple:
    result = ix.search(q)
    return ids(result), result.total, {name: sorted(values) for name, values in result.facets.items()}


def test_a_process_open_through_many_commits_and_merges_answers_as_one_that_opens_the_index_afresh(
        tmp_path, writer, web):
    """A long-running web process carries bitsets and the date order over commits that only add bites, builds
    them from each segment's kept bitsets after a merge, and reads a segment whose deletions changed through its
    previous reader's files: every answer equals that of a process opening the index now, which reads everything
    from the files."""
    stages = ["discovery", "negotiation", "closing"]
    queries = [SearchQuery(sort="date", per_page=100), SearchQuery(text="expensive", per_page=100),
               SearchQuery(text="price", sort="date", per_page=100),
               SearchQuery(filters={"stage": ["negotiation", "closing"]}, sort="date", per_page=100)]
    merged = 0
    for n in range(6, 40):
        segments = len(_leaf_readers(web))
        undated = n % 5 == 0  # undated bites sort last
        writer.add([bite(n, f"Bite {n}: the price is too expensive" if n % 3 else f"Bite {n} is about timing.",
                         call_id=n, stage=stages[n % 3], rep=f"Rep {n % 4}", tags={"objection": ["price"]},
                         call_date=None if undated else date(2024, 1 + n % 12, 1 + n % 7))])
        if n in (12, 30, 31):
            writer.delete([2, 12] if n == 30 else [n - 7])  # deletions in kept segments
        # the long-running process, its index open since the first commit
        answers = [_view(web, q) for q in queries]
        fresh = WhooshIndex(tmp_path / "index")  # a process starting now
        assert answers == [_view(fresh, q) for q in queries], f"after bite {n}"
        fresh.close()
        merged += len(_leaf_readers(web)) < segments + 1
    assert merged, "Whoosh merged no segments: the test did not cover a merge"
    assert web.search(SearchQuery(per_page=100)).total == 5 + 34 - 4


def test_a_commit_that_merges_as_many_segments_as_it_adds_is_not_taken_for_one_that_only_added(writer, web):
    """A merge can leave as many segments as before, with another id and renumbered documents: nothing counted
    on the previous snapshot may carry over."""
    from enable.search.whoosh_backend import _document

    assert len(_leaf_readers(web)) == 1
    before = dict(web.search(SearchQuery()).facets["rep"])  # counted on this snapshot
    with writer._writing(optimize=True) as w:  # bite 1 deleted, bite 7 added, and all merged into one segment
        w.delete_by_term("id", "1")
        w.update_document(**_document(bite(7, "The newest zebrafish call.", rep="Bob Stone", call_id=7,
                                           call_date=date(2030, 1, 1))))

    result = web.search(SearchQuery(sort="date", per_page=100))
    assert len(_leaf_readers(web)) == 1
    assert web._current()._carried is None
    assert dict(result.facets["rep"])["Bob Stone"] == before["Bob Stone"] + 1
    assert dict(result.facets["rep"])["Anna Petrova"] == before["Anna Petrova"] - 1
    assert ids(result)[0] == 7 and 1 not in ids(result)
    assert ids(web.search(SearchQuery(text="zebrafish"))) == [7]


def test_a_reopen_that_fails_leaves_the_open_snapshot_whole_and_the_next_one_succeeds(writer, web, monkeypatch):
    """Taking in deletions shares the open segment's files: a reopen that fails half-way must close none of them."""
    from enable.search.index import IndexCorrupt
    from enable.search.whoosh_docsets import Snapshot

    open_reader = _leaf_readers(web)[0]
    writer.delete([4])

    def broken(self, *args, **kwargs):
        raise OSError("disk read error")

    with monkeypatch.context() as patched:
        patched.setattr(Snapshot, "warm", broken)
        with pytest.raises(IndexCorrupt):
            web.search(SearchQuery(text="gong"))
    assert not open_reader.is_closed and _leaf_readers_of(web._snapshot)[0] is open_reader
    assert open_reader.stored_fields(0)  # its files still open

    assert web.search(SearchQuery(text="gong")).total == 0  # bite 4, the one with Gong, is gone
    assert ids(web.search(SearchQuery(text="expensive"))) == [1, 2]
    assert web.count() == 4


def _leaf_readers_of(snapshot) -> list:
    return [reader for reader, _ in snapshot.searcher.reader().leaf_readers()]
