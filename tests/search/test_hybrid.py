"""Hybrid search without the model: the fusion, the paging of fused results over a real Whoosh index, and the
sentence index on disk (usearch) with vectors made up for the test."""

from __future__ import annotations

import numpy as np
import pytest

from enable.meaning.vector_index import SentenceIndex, SentenceRow, VectorIndexUnavailable
from enable.search.hybrid import HybridSearch, Moment, rrf, weighted_fusion
from enable.search.index import SearchQuery
from enable.search.whoosh_backend import WhooshIndex
from tests.search.test_whoosh_backend import bite


def test_rrf_rewards_agreement_and_keeps_every_item():
    fused = [i for i, _s in rrf([[1, 2, 3], [3, 4]])]
    assert fused[0] == 3 and set(fused) == {1, 2, 3, 4}
    assert [i for i, _s in weighted_fusion([[(1, 10.0), (2, 8.0), (4, 0.0)], [(2, 0.9), (3, 0.8)]], [0.5, 0.5])][0] == 2


@pytest.fixture
def words(tmp_path):
    ix = WhooshIndex(tmp_path / "index")
    ix.add([bite(i, f"price talk number {i}", language="en" if i % 2 else "ru") for i in range(1, 31)]
           + [bite(i, f"unrelated chatter {i}", language="en" if i % 2 else "ru") for i in range(31, 41)])
    return ix


def test_pages_of_fused_results_hold_every_match_once(words):
    near = [Moment(i, 0.9 - i / 1000, f"sentence {i}", 1.0) for i in (35, 5, 33, 37)]  # 3 found by meaning only
    hybrid = HybridSearch(words, lambda _text: near)
    first = hybrid.search(SearchQuery(text="price", per_page=7))
    assert first.total == 33  # 30 bites with the word, 3 by meaning only
    seen = []
    for page in range(1, 7):
        seen += [h.id for h in hybrid.search(SearchQuery(text="price", page=page, per_page=7)).hits]
    assert sorted(seen) == sorted([*range(1, 31), 33, 35, 37]) and len(seen) == len(set(seen))
    assert seen.index(5) < 3  # words and meaning agree: near the top
    snippet = next(h.snippet for h in first.hits if h.id == 35)
    assert snippet == '<mark class="by-meaning">sentence 35</mark>'


def test_page_two_goes_on_where_page_one_ends(words):
    """Moments whose words also match, but far down the word side, lift them above the first page's end: every
    page is cut from the one fused list, so page 2 neither repeats page 1 nor skips what a longer page shows."""
    near = [Moment(i, 0.9 - n / 100, f"sentence {i}", 1.0) for n, i in enumerate((29, 27, 35, 25, 37, 23))]
    hybrid = HybridSearch(words, lambda _text: near)
    whole = [h.id for h in hybrid.search(SearchQuery(text="price", per_page=40)).hits]
    assert sorted(whole) == sorted([*range(1, 31), 35, 37])
    one = [h.id for h in hybrid.search(SearchQuery(text="price", page=1, per_page=10)).hits]
    two = [h.id for h in hybrid.search(SearchQuery(text="price", page=2, per_page=10)).hits]
    assert not set(one) & set(two)
    assert one + two == whole[:20]


def test_filters_apply_to_the_meaning_side_and_counts_cover_both(words):
    near = [Moment(i, 0.9, f"sentence {i}", 1.0) for i in (34, 35)]  # 34 is Russian
    hybrid = HybridSearch(words, lambda _text: near)
    result = hybrid.search(SearchQuery(text="price", filters={"language": ["en"]}))
    ids = {h.id for h in result.hits}
    assert 35 in ids and 34 not in ids and result.total == 16
    assert dict(result.facets["language"]) == {"en": 16}
    assert hybrid.search(SearchQuery(text="price", filters={"language": ["en"]}, counts_only=True)).total == 16


def test_without_moments_it_is_the_word_search(words):
    hybrid = HybridSearch(words, lambda _text: None)
    assert hybrid.search(SearchQuery(text="price")) == words.search(SearchQuery(text="price"))
    assert HybridSearch(words, lambda _t: []).search(SearchQuery(text="zzz")).total == 0


def unit(rows: int, dim: int = 8, seed: int = 1) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_sentence_index_finds_replaces_and_refuses_another_model(tmp_path):
    index = SentenceIndex(tmp_path / "v", "m1", 8)
    with pytest.raises(VectorIndexUnavailable):
        index.nearest(unit(1)[0])
    vectors = unit(6)
    rows = [SentenceRow(bite_id=10 + i // 2, call_id=1 + i // 4, start_s=float(i), text=f"s{i} é") for i in range(6)]
    assert index.rebuild([(rows, vectors)]) == 6
    found = index.nearest(vectors[3], k=2)
    assert found[0].bite_id == 11 and found[0].text == "s3 é" and found[0].score == pytest.approx(1.0, abs=1e-2)
    # a reader in another process sees the writer's new generation
    other = SentenceIndex(tmp_path / "v", "m1", 8)
    index.replace_calls([1], [SentenceRow(99, 1, 0.0, "new")], unit(1, seed=9))
    assert {s.bite_id for s in other.nearest(unit(1, seed=9)[0], k=10)} == {99, 12}
    assert len(list((tmp_path / "v").glob("gen-*"))) == 2  # the live one and the one before
    with pytest.raises(VectorIndexUnavailable, match="made by m1"):
        SentenceIndex(tmp_path / "v", "m2", 8).nearest(unit(1)[0])
    (tmp_path / "v" / (tmp_path / "v" / "CURRENT").read_text() / "rows.npz").write_bytes(b"broken")
    with pytest.raises(VectorIndexUnavailable):
        SentenceIndex(tmp_path / "v", "m1", 8).nearest(unit(1)[0])
