"""What every search backend promises (the ``SearchIndex`` protocol), run on Whoosh and on PostgreSQL.

Each test gets a fresh, empty index of each backend: a Whoosh directory, or the PostgreSQL search
tables of this run's own database, emptied. The last tests feed both backends one generated corpus
and require the same matches, totals, facet counts and date order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from enable.search.index import BiteDoc, SearchIndex, SearchQuery, SearchResult
from enable.search.whoosh_backend import WhooshIndex
from tests.search.test_whoosh_backend import DOCS, bite

MakeIndex = Callable[[], SearchIndex]


@pytest.fixture(scope="module")
def pg_index(pg_search_url: str) -> Iterator[SearchIndex]:
    from enable.search.postgres_backend import PostgresIndex

    engine = create_engine(pg_search_url)
    index = PostgresIndex(engine)
    index.create_schema()
    yield index
    engine.dispose()


@pytest.fixture(params=["whoosh", "postgres"])
def make_index(request: pytest.FixtureRequest, tmp_path: Path) -> MakeIndex:
    """make_index() -> a new empty index of the backend under test."""
    numbers = count()
    if request.param == "whoosh":
        return lambda: WhooshIndex(tmp_path / f"index-{next(numbers)}")
    pg = request.getfixturevalue("pg_index")

    def fresh() -> SearchIndex:
        pg.clear()
        return pg

    return fresh


@pytest.fixture
def index(make_index: MakeIndex) -> SearchIndex:
    ix = make_index()
    ix.add(DOCS)
    return ix


def ids(result: SearchResult) -> list[int]:
    return [h.id for h in result.hits]


def search(ix: SearchIndex, text: str = "", **kwargs: object) -> SearchResult:
    return ix.search(SearchQuery(text=text, **kwargs))  # type: ignore[arg-type]


def test_a_phrase_finds_the_bite_holding_it_and_plain_words_rank_it_first(index: SearchIndex) -> None:
    assert ids(search(index, '"too expensive"')) == [1]
    assert ids(search(index, '"our CRM works"')) == [4]
    assert ids(search(index, '"works our CRM"')) == []
    plain = search(index, "too expensive")
    assert ids(plain) == [1, 2] and plain.total == 2 and plain.error is None


def test_english_and_russian_stemming(index: SearchIndex) -> None:
    assert ids(search(index, "price")) == [2]  # "prices"
    assert ids(search(index, "цены")) == [3]  # "Цена"
    assert ids(search(index, "Дорого")) == [3]
    assert ids(search(index, "дорогой")) == [3]  # one word family (a Russian lemma)
    assert ids(search(index, "дорогую")) == [3]
    assert ids(search(index, "Gong цены")) == []  # every word is required, in any language
    assert set(ids(search(index, "gong OR цены"))) == {3, 4}


def test_persian_letter_variants_and_zwnj_find_each_other(make_index: MakeIndex) -> None:
    ix = make_index()
    ix.add([
        bite(1, "من مي\u200cخواهم اين را بخرم ولي قيمت بالاست", language="fa"),  # Arabic yeh, with ZWNJ
        bite(2, "کارت اعتباری ندارم", language="fa"),
    ])
    assert ids(search(ix, "میخواهم")) == [1]
    assert ids(search(ix, "قیمت")) == [1]
    assert ids(search(ix, "كارت")) == [2]  # Arabic kaf typed
    assert ids(search(ix, "اعتباري")) == [2]


def test_accents_and_case_are_folded(make_index: MakeIndex) -> None:
    ix = make_index()
    ix.add([bite(1, "Le café coûte trop cher"), bite(2, "Ёлка стоит дорого")])
    assert ids(search(ix, "CAFE coute")) == [1]
    assert ids(search(ix, "елка")) == [2]


def test_each_facet_filters_and_values_within_a_field_are_alternatives(index: SearchIndex) -> None:
    cases = {
        "objection": (["timing"], {2}),
        "competitor": (["gong"], {1, 4}),
        "phase": (["before"], {5}),
        "persona": (["cfo"], {5}),
        "topic": (["integration"], {4}),
        "stage": (["negotiation", "demo"], {1, 3, 5}),
        "rep": (["Anna Petrova"], {1, 4}),
        "outcome": (["won", "lost"], {1, 2}),
        "language": (["ru"], {3}),
        "team_id": (["1"], {1, 3}),
    }
    for field, (values, expected) in cases.items():
        assert set(ids(search(index, filters={field: values}))) == expected, field
    assert set(ids(search(index, filters={"objection": ["price"], "stage": ["negotiation"]}))) == {1, 3}
    assert set(ids(search(index, filters={"rep": ["ANNA PETROVA"]}))) == {1, 4}  # folded like the index
    assert ids(search(index, filters={"nonsense": ["x"], "stage": ["demo"]})) == [5]  # unknown filter: ignored


def test_facet_counts_cover_the_whole_filtered_result(index: SearchIndex) -> None:
    result = search(index, per_page=1, filters={"objection": ["price"]})
    assert result.total == 3 and len(result.hits) == 1
    assert result.facets["stage"] == [("negotiation", 2), ("proposal", 1)]
    assert result.facets["objection"] == [("price", 3), ("timing", 1)]
    assert result.facets["rep"] == [("Anna Petrova", 1), ("Bob Stone", 1), ("Иван", 1)]
    assert result.facets["team_id"] == [("1", 2), ("2", 1)]
    assert result.facets["persona"] == []


def test_dates_filter_and_sort(index: SearchIndex) -> None:
    assert set(ids(search(index, date_from=date(2024, 1, 10), date_to=date(2024, 3, 1)))) == {1, 5}
    assert set(ids(search(index, date_to=date(2023, 12, 31)))) == {3}
    assert ids(search(index, "the", sort="date")) == [2, 5, 4]  # bite 4 has no date: last
    assert ids(search(index, filters={"objection": ["price"]})) == [2, 1, 3]  # filters only: newest first


def test_field_value_quotes_or_and_not_in_the_search_box(index: SearchIndex) -> None:
    assert set(ids(search(index, "objection:price"))) == {1, 2, 3}
    assert ids(search(index, "stage:negotiation expensive")) == [1]
    assert ids(search(index, 'rep:"anna petrova" gong')) == [4]
    assert set(ids(search(index, "expensive OR roadmap"))) == {1, 2, 5}
    assert ids(search(index, "expensive NOT prices")) == [1]
    assert set(ids(search(index, '(gong OR roadmap) AND NOT "our CRM"'))) == {5}
    assert set(ids(search(index, "NOT stage:negotiation"))) == {2, 4, 5}


def test_highlights_mark_matched_words_and_escape_everything_else(make_index: MakeIndex) -> None:
    ix = make_index()
    ix.add([bite(1, "The price <script>alert('x')</script> is too expensive & final.")])
    snippet = search(ix, "prices expensive").hits[0].snippet
    assert "<mark>price</mark>" in snippet and "<mark>expensive</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0
    assert "<mark>" not in search(ix, "expensive NOT gong").hits[0].snippet.replace("<mark>expensive</mark>", "")


def test_misspelling_gets_a_suggestion(index: SearchIndex) -> None:
    result = search(index, "expensiv roadmep")
    assert result.total == 0
    assert result.suggestion == "expensive roadmap"
    assert search(index, "Roadmapp").suggestion == "Roadmap"
    assert search(index, "expensive").suggestion is None


@pytest.mark.parametrize("text", ['"unclosed', "AND OR (", "stage:", "foo:price expensive", "((", ")", "NOT", ":", '""',
                                  "[a TO b]", "price^2"])
def test_an_unreadable_query_gives_a_message_and_plain_word_results(index: SearchIndex, text: str) -> None:
    result = search(index, text)
    assert result.error or result.total or text in ('""', ":")
    if text == "foo:price expensive":
        assert "foo" in (result.error or "") and ids(result) == [2]
    if text == '"unclosed':
        assert "quotation" in (result.error or "")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
       | st.lists(st.sampled_from(['"', "(", ")", "AND", "OR", "NOT", ":", "stage:", "*", "^", "[", "]", "TO",
                                   "цена", "price", "~", "'", "\\", "\u200c", "!", "&", "|", "<->"]),
                  max_size=8).map(" ".join))
def test_no_text_query_raises(index: SearchIndex, text: str) -> None:
    result = search(index, text)
    assert result.total >= 0 and len(result.hits) <= result.total


def test_odd_words_and_characters_are_stored_and_searched_safely(make_index: MakeIndex) -> None:
    ix = make_index()
    long_word = "a" * 3000
    ix.add([bite(1, f"price {long_word} end\x00ing", title="It's a \\ title with 'quotes'", rep="O'Brien",
                 tags={"objection": ["pri,ce"]})])
    assert ids(search(ix, "price")) == [1]
    assert ids(search(ix, "it's")) == [1] and ids(search(ix, "quotes")) == [1]
    assert ids(search(ix, filters={"rep": ["O'Brien"]})) == [1]
    for text in (long_word, "\x00", "rep:\"a\x00b\"", "'", "\\", "price & !x | <->", "objection:pri"):
        result = search(ix, text)
        assert result.total >= 0, text
    assert search(ix, "b" * 3000).total == 0


def test_best_examples_rank_first(index: SearchIndex) -> None:
    index.add([bite(6, "An aside: they say it is expensive, too much for them.", is_best=True)])
    assert ids(search(index, "expensive"))[0] == 6
    assert ids(search(index, "too expensive")) == [6, 1, 2]  # best first, then the exact phrase
    assert ids(search(index, "expensive", sort="date")) == [6, 2, 1]  # best first, then newest


def test_paging(index: SearchIndex) -> None:
    pages = [ids(search(index, "the", page=p, per_page=2)) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert set(pages[0] + pages[1]) == {2, 4, 5}


def test_add_replaces_by_id_delete_delete_call_clear_and_count(index: SearchIndex) -> None:
    assert index.count() == 5
    index.add([bite(1, "Now this bite talks about onboarding only.")])
    assert index.count() == 5
    assert ids(search(index, "onboarding")) == [1]
    assert ids(search(index, '"too expensive"')) == []
    index.delete_call(2)
    assert index.count() == 3
    assert search(index, "цена").total == 0 and search(index, "gong").total == 0
    index.delete([5, 999])
    assert index.count() == 2
    index.clear()
    assert index.count() == 0 and search(index).total == 0


def test_replace_call_swaps_the_bites_of_one_call_and_leaves_the_others(index: SearchIndex) -> None:
    calls_of = {d.id: d.call_id for d in DOCS}
    other_calls = sorted(i for i, call in calls_of.items() if call != 2)
    index.replace_call(2, [bite(20, "The renewal price was agreed.", call_id=2),
                           bite(21, "Procurement signs on Friday.", call_id=2)])
    assert index.count() == len(other_calls) + 2
    assert search(index, "цена").total == 0 and search(index, "gong").total == 0  # call 2's old bites
    assert ids(search(index, "procurement")) == [21]
    assert sorted(ids(search(index, per_page=50))) == sorted(other_calls + [20, 21])
    index.replace_call(2, [])  # every bite of the call archived
    assert sorted(ids(search(index, per_page=50))) == other_calls


def test_rebuild_replaces_everything_and_gives_the_same_results(index: SearchIndex) -> None:
    queries = [SearchQuery(text=t) for t in ("too expensive", "цены", "gong", "the")]
    before = [index.search(q) for q in queries]
    index.add([bite(7, "A stray bite that the rebuild must drop.")])
    index.rebuild(iter(DOCS))  # a stream, as `flask search rebuild` passes
    index.check()
    assert index.count() == len(DOCS)
    after = [index.search(q) for q in queries]
    assert [(ids(a), a.total, a.facets) for a in before] == [(ids(b), b.total, b.facets) for b in after]
    assert search(index, "stray").total == 0


def test_unknown_tag_kinds_are_refused(make_index: MakeIndex) -> None:
    with pytest.raises(ValueError, match="Unknown tag kinds"):
        make_index().add([bite(1, "text", tags={"mood": ["happy"]})])


# The same answers from both backends ---------------------------------------------------------------

CORPUS_SIZE = 200


def _corpus() -> tuple[list[BiteDoc], list[SearchQuery]]:
    from bench.search import Corpus, make_queries

    corpus = Corpus(seed=5)
    docs = [corpus.doc(i) for i in range(CORPUS_SIZE)]
    queries = make_queries(corpus, 44, seed=3)
    queries += [SearchQuery(text=t) for t in (
        "price OR budget", "budget NOT price", '"too expensive" OR "no budget"', "objection:price budget",
        "stage:negotiation OR stage:closing", '"not now"', "not now", "цены", "нет бюджета", "gong", "the",
        "integration crm", "(pilot OR trial) AND NOT roadmap", 'rep:"Rep 07"', "competitors", "pricng",
        "budgt roadmp", "интеграцыя")]
    queries += [SearchQuery(text="budget", filters={"stage": ["demo"]}, date_from=date(2023, 6, 1),
                            date_to=date(2024, 1, 1))]
    return docs, queries


@pytest.fixture(scope="module")
def both_backends(pg_index: SearchIndex, tmp_path_factory: pytest.TempPathFactory) -> list[SearchIndex]:
    docs, _ = _corpus()
    whoosh = WhooshIndex(tmp_path_factory.mktemp("corpus") / "index")
    whoosh.rebuild(docs)
    pg_index.rebuild(docs)
    return [whoosh, pg_index]


def _all_pages(ix: SearchIndex, q: SearchQuery) -> tuple[SearchResult, list[int]]:
    """The first page of q (100 hits) and the ids of every page."""
    first = ix.search(replace(q, per_page=100))
    found = ids(first)
    for page in range(2, (first.total + 99) // 100 + 1):
        found += ids(ix.search(replace(q, per_page=100, page=page)))
    return first, found


def test_both_backends_give_the_same_matches_totals_facets_and_date_order(both_backends: list[SearchIndex]) -> None:
    whoosh, pg = both_backends
    _, queries = _corpus()
    assert whoosh.count() == pg.count() == CORPUS_SIZE
    matched = as_sets = 0
    for q in queries:
        label = f"{q.text!r} {q.filters} {q.sort}"
        by_date = replace(q, sort="date")
        w, w_all = _all_pages(whoosh, by_date)
        p, p_all = _all_pages(pg, by_date)
        assert (p.total, p.error, p.suggestion) == (w.total, w.error, w.suggestion), label
        assert p.facets == w.facets, label
        assert p_all == w_all, label  # best first, exact phrase next, then newest: one order, every match
        w, p = whoosh.search(replace(q, per_page=20)), pg.search(replace(q, per_page=20))
        assert (p.total, p.facets) == (w.total, w.facets), label
        if q.sort == "relevance" and w.total <= 20:
            assert set(ids(p)) == set(ids(w)), label  # relevance orders differ in detail; the top 20 as sets
            as_sets += bool(w.total)
        matched += bool(w.total)
    assert matched > len(queries) // 2 and as_sets >= 10  # mostly queries that match, many compared as sets


def test_said_by_filters_who_said_the_tag_and_is_a_facet(make_index: MakeIndex) -> None:
    ix = make_index()
    ix.add([
        bite(31, "It costs more than we planned.", tags={"objection": ["price"]},
             said=(("objection", "price", "customer"),)),
        bite(32, "Our price includes support; does the timing work?", tags={"objection": ["price", "timing"]},
             said=(("objection", "price", "rep"), ("objection", "timing", "customer"))),
        bite(33, "Nothing tagged here."),
    ])
    by_customer = search(ix, filters={"said_by": ["customer"]})
    assert set(ids(by_customer)) == {31, 32}  # the customer said some tag in both
    assert dict(by_customer.facets["said_by"]) == {"customer": 2, "rep": 1}
    # "the customer raised price": not bite 32, where the rep said price and the customer timing
    assert ids(search(ix, filters={"said_by": ["customer"], "objection": ["price"]})) == [31]
    assert ids(search(ix, filters={"said_by": ["rep"], "objection": ["price"]})) == [32]
    assert set(ids(search(ix, filters={"said_by": ["customer", "rep"], "objection": ["price"]}))) == {31, 32}
    assert dict(search(ix).facets["said_by"]) == {"customer": 2, "rep": 1}


def test_among_keeps_the_ids_passing_the_filters_and_tells_which_match_the_words(index: SearchIndex) -> None:
    q = SearchQuery(text="expensive", filters={"language": ["en"]})
    passing, worded = index.among(q, [3, 5, 1, 999, 2])
    assert passing == [5, 1, 2] and worded == {1, 2}  # 3 is Russian, 999 unknown; the order given is kept
    # also_ids: those bites count as if the words matched, under the same filters
    counted = index.search(replace(q, also_ids=(5, 3), counts_only=True))
    assert counted.total == 3


def test_a_postgres_index_of_another_analysis_asks_for_a_rebuild(pg_index: SearchIndex) -> None:
    from sqlalchemy import text

    from enable.analysis import ANALYSIS_VERSION
    from enable.search.index import IndexCorrupt
    from enable.search.postgres_backend import PostgresIndex

    pg_index.clear()
    pg_index.add(DOCS)
    engine = pg_index.engine  # type: ignore[attr-defined]
    older = f"enable search terms: analysis {ANALYSIS_VERSION - 1}"
    with engine.begin() as conn:
        conn.execute(text(f"COMMENT ON TABLE search_fts_bite IS '{older}'"))
    reopened = PostgresIndex(engine)  # a process started after the upgrade
    with pytest.raises(IndexCorrupt, match="rebuild"):
        reopened.search(SearchQuery(text="дорогой"))
    with pytest.raises(IndexCorrupt, match="rebuild"):
        reopened.check()
    reopened.rebuild(DOCS)
    assert ids(search(reopened, "дорогой")) == [3]
    reopened.check()
