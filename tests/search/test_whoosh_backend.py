"""The Whoosh search index, on a real index in a temporary directory."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enable.search.index import BiteDoc, IndexCorrupt, SearchQuery, SearchResult
from enable.search.whoosh_backend import WhooshIndex, make_snippet


def bite(id: int, text: str, **fields: object) -> BiteDoc:
    """A bite with sensible defaults; call 1, English, no tags."""
    values: dict[str, object] = {
        "call_id": 1,
        "call_title": "Discovery with Acme",
        "title": text[:40],
        "language": "en",
    }
    values.update(fields)
    return BiteDoc(id=id, text=text, **values)  # type: ignore[arg-type]


DOCS = [
    bite(
        1,
        "Honestly this is too expensive for our team right now.",
        rep="Anna Petrova",
        stage="negotiation",
        tags={"objection": ["price"], "competitor": ["gong"]},
        outcome="won",
        team_id=1,
        call_date=date(2024, 3, 1),
    ),
    bite(
        2,
        "Expensive? Not too bad. The prices look fine to us.",
        rep="Bob Stone",
        stage="proposal",
        tags={"objection": ["price", "timing"]},
        outcome="lost",
        team_id=2,
        call_date=date(2024, 5, 1),
    ),
    bite(
        3,
        "Цена для нас слишком высокая, это дорого.",
        language="ru",
        rep="Иван",
        stage="negotiation",
        tags={"objection": ["price"]},
        outcome="open",
        team_id=1,
        call_date=date(2023, 12, 1),
        call_id=2,
        call_title="Рога и копыта",
    ),
    bite(
        4,
        "We already use Gong and the integration with our CRM works.",
        rep="Anna Petrova",
        stage="discovery",
        tags={"objection": ["competitor"], "competitor": ["gong"], "topic": ["integration"]},
        call_id=2,
    ),
    bite(
        5,
        "Let us talk about the roadmap and the next quarter plans.",
        stage="demo",
        tags={"phase": ["before"], "persona": ["cfo"]},
        call_date=date(2024, 1, 15),
        call_id=3,
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> WhooshIndex:
    ix = WhooshIndex(tmp_path / "index")
    ix.add(DOCS)
    return ix


def ids(result: SearchResult) -> list[int]:
    return [h.id for h in result.hits]


def search(ix: WhooshIndex, text: str = "", **kwargs: object) -> SearchResult:
    return ix.search(SearchQuery(text=text, **kwargs))  # type: ignore[arg-type]


def test_plain_words_find_every_bite_holding_them_and_rank_the_exact_phrase_first(index: WhooshIndex) -> None:
    result = search(index, "too expensive")
    assert ids(result) == [1, 2]
    assert result.total == 2
    assert result.error is None


def test_quoted_phrase_finds_only_the_bite_holding_it(index: WhooshIndex) -> None:
    assert ids(search(index, '"too expensive"')) == [1]
    assert ids(search(index, '"our CRM works"')) == [4]
    assert ids(search(index, '"works our CRM"')) == []


def test_stemming_in_english_and_russian(index: WhooshIndex) -> None:
    assert set(ids(search(index, "price"))) == {2}
    assert ids(search(index, "цены")) == [3]
    assert ids(search(index, "Дорого")) == [3]
    # One word family: the adjective in any gender finds its adverb (Snowball alone cut "дор" / "дорог").
    assert ids(search(index, "дорогой")) == [3]
    assert ids(search(index, "дорогая")) == [3]


def test_persian_letter_variants_and_zwnj_find_each_other(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "fa")
    ix.add(
        [
            bite(1, "من مي\u200cخواهم اين را بخرم ولي قيمت بالاست", language="fa"),  # Arabic yeh, with ZWNJ
            bite(2, "کارت اعتباری ندارم", language="fa"),  # Persian keheh and yeh
        ]
    )
    assert ids(search(ix, "میخواهم")) == [1]  # Persian keyboard, no ZWNJ
    assert ids(search(ix, "قیمت")) == [1]
    assert ids(search(ix, "كارت")) == [2]  # Arabic kaf typed
    assert ids(search(ix, "اعتباري")) == [2]


def test_each_filter_narrows_and_values_within_a_field_are_alternatives(index: WhooshIndex) -> None:
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
    both = search(index, filters={"objection": ["price"], "stage": ["negotiation"]})
    assert set(ids(both)) == {1, 3}


def test_dates_filter_and_sort(index: WhooshIndex) -> None:
    result = search(index, filters={"stage": ["negotiation", "proposal", "demo"]}, date_from=date(2024, 1, 1))
    assert set(ids(result)) == {1, 2, 5}
    window = search(index, date_from=date(2024, 1, 10), date_to=date(2024, 3, 1))
    assert set(ids(window)) == {1, 5}
    assert set(ids(search(index, date_to=date(2023, 12, 31)))) == {3}
    newest_first = search(index, "the", sort="date")
    assert ids(newest_first) == [2, 5, 4]  # bite 4 has no date: last


def test_facet_counts_cover_the_whole_filtered_result(index: WhooshIndex) -> None:
    result = search(index, per_page=1, filters={"objection": ["price"]})
    assert result.total == 3 and len(result.hits) == 1
    assert result.facets["stage"] == [("negotiation", 2), ("proposal", 1)]
    assert result.facets["objection"] == [("price", 3), ("timing", 1)]
    assert result.facets["rep"] == [("Anna Petrova", 1), ("Bob Stone", 1), ("Иван", 1)]
    assert result.facets["team_id"] == [("1", 2), ("2", 1)]
    assert result.facets["persona"] == []


def test_field_value_typed_in_the_search_box(index: WhooshIndex) -> None:
    assert set(ids(search(index, "objection:price"))) == {1, 2, 3}
    assert ids(search(index, "stage:negotiation expensive")) == [1]
    assert ids(search(index, 'rep:"anna petrova" gong')) == [4]
    assert set(ids(search(index, "expensive OR roadmap"))) == {1, 2, 5}
    assert ids(search(index, "expensive NOT prices")) == [1]


def test_highlights_mark_matched_words_and_escape_everything_else(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "xss")
    ix.add([bite(1, "The price <script>alert('x')</script> is too expensive & final.")])
    snippet = search(ix, "prices expensive").hits[0].snippet
    assert "<mark>price</mark>" in snippet and "<mark>expensive</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_misspelling_gets_a_suggestion(index: WhooshIndex) -> None:
    result = search(index, "expensiv roadmep")
    assert result.total == 0
    assert result.suggestion == "expensive roadmap"
    assert search(index, "expensive").suggestion is None


@pytest.mark.parametrize("text", ['"unclosed', "AND OR (", "stage:", "foo:bar price", "((", ")", "NOT", ":", '""'])
def test_malformed_queries_give_results_or_a_message(index: WhooshIndex, text: str) -> None:
    result = search(index, text)
    assert result.error or result.total or text in ('""', ":")
    if text == "foo:bar price":
        assert "foo" in (result.error or "")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
    | st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "AND",
                "OR",
                "NOT",
                ":",
                "stage:",
                "*",
                "^",
                "[",
                "to",
                "цена",
                "price",
                "~",
                "-",
                "+",
                "\u200c",
            ]
        ),
        max_size=8,
    ).map(" ".join)
)
def test_no_text_query_raises(index: WhooshIndex, text: str) -> None:
    result = search(index, text)
    assert result.total >= 0


def test_best_examples_rank_first(index: WhooshIndex) -> None:
    index.add([bite(6, "An aside: they say it is expensive, too much for them.", is_best=True)])
    assert ids(search(index, "expensive"))[0] == 6
    # Best first even over a bite holding the exact phrase; then the phrase.
    assert ids(search(index, "too expensive")) == [6, 1, 2]


def test_add_replaces_by_id_and_delete_call_removes(index: WhooshIndex) -> None:
    index.add([bite(1, "Now this bite talks about onboarding only.")])
    assert index.count() == 5
    assert ids(search(index, "onboarding")) == [1]
    assert ids(search(index, '"too expensive"')) == []
    index.delete_call(2)
    assert index.count() == 3
    assert search(index, "цена").total == 0
    index.delete([5, 999])
    assert index.count() == 2
    index.clear()
    assert index.count() == 0


def test_paging(index: WhooshIndex) -> None:
    pages = [ids(search(index, "the", page=p, per_page=2)) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert set(pages[0] + pages[1]) == {2, 4, 5}


def test_rebuild_gives_the_same_results(index: WhooshIndex, tmp_path: Path) -> None:
    queries = [SearchQuery(text=t) for t in ("too expensive", "цены", "gong", "the")]
    before = [index.search(q) for q in queries]
    index.rebuild(DOCS)
    after = [index.search(q) for q in queries]
    assert [(ids(a), a.total, a.facets) for a in before] == [(ids(b), b.total, b.facets) for b in after]
    other = WhooshIndex(tmp_path / "index")  # a second process opening the same directory
    assert other.count() == len(DOCS)


def test_corrupted_index_is_detected_and_rebuild_repairs_it(index: WhooshIndex, tmp_path: Path) -> None:
    index.check()
    index.close()
    for segment in (tmp_path / "index").glob("*.seg"):
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    with pytest.raises(IndexCorrupt, match="rebuild"):
        WhooshIndex(tmp_path / "index").check()
    fresh = WhooshIndex(tmp_path / "index")
    fresh.rebuild(DOCS)
    fresh.check()
    assert ids(fresh.search(SearchQuery(text="цены"))) == [3]


def test_an_index_built_by_an_older_analysis_asks_for_a_rebuild(tmp_path: Path) -> None:
    # Its terms came from other stemmers: queries analysed today would miss some of them.
    from whoosh import index as whoosh_index

    from enable.analysis import ScriptStemFilter
    from enable.search.whoosh_backend import make_schema

    schema = make_schema()
    for name in schema.names():
        for item in getattr(getattr(schema[name], "analyzer", None), "items", ()):
            if isinstance(item, ScriptStemFilter):
                item.__dict__.pop("analysis", None)  # as pickled before the analysis was recorded
    folder = tmp_path / "old-index"
    folder.mkdir()
    whoosh_index.create_in(str(folder), schema)
    with pytest.raises(IndexCorrupt, match="another version of Enable; rebuild"):
        WhooshIndex(folder).search(SearchQuery(text="цены"))
    rebuilt = WhooshIndex(folder)
    rebuilt.rebuild(DOCS)
    assert ids(rebuilt.search(SearchQuery(text="цены"))) == [3]
    assert ids(WhooshIndex(folder).search(SearchQuery(text="цены"))) == [3]


def test_a_snippet_marks_words_whatever_their_letters(tmp_path: Path) -> None:
    from enable.analysis import term_of
    from enable.search.whoosh_backend import make_snippet

    text = "Подъезд и объём, въезд; сheck Ъ."
    for word in ("объём", "Ъ", "сheck", "въезд"):
        assert f"<mark>{word}</mark>" in make_snippet(text, [term_of(word)])


def test_a_damaged_table_of_contents_is_reported_not_replaced(tmp_path):
    folder = tmp_path / "toc-index"
    first = WhooshIndex(folder)
    first.add([bite(1, "the price is too expensive")])
    first.close()
    for toc in folder.glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 4)
    damaged = WhooshIndex(folder)
    with pytest.raises(IndexCorrupt):
        damaged.check()
    with pytest.raises(IndexCorrupt):
        damaged.search(SearchQuery(text="price"))
    with pytest.raises(IndexCorrupt):
        damaged.add([bite(2, "a new bite must not start an empty index over the damaged one")])
    assert list(folder.glob("*.seg")), "the damaged index must be left for `search rebuild`, not replaced"


def _index_contents(folder: Path) -> dict[str, object]:
    """Everything a reader can see in an index: terms, postings, term statistics, stored fields, lengths."""
    from whoosh import index as whoosh_index

    reader = whoosh_index.open_dir(str(folder)).reader()
    postings = {}
    for fieldname, term in reader.all_terms():
        info = {k: v for k, v in vars(reader.term_info(fieldname, term)).items() if k not in ("_offset", "_length")}
        kind = "positions" if reader.schema[fieldname].format.supports("positions") else "weight"
        postings[fieldname, term] = (info, list(reader.postings(fieldname, term).items_as(kind)))
    docs = range(reader.doc_count_all())
    return {
        "postings": postings,
        "stored": [reader.stored_fields(d) for d in docs],
        "lengths": [[reader.doc_field_length(d, f) for f in reader.schema.names()] for d in docs],
        "dates": list(reader.column_reader("call_date")),
    }


def test_rebuild_writes_what_whooshs_own_writer_writes(tmp_path: Path) -> None:
    # The rebuild uses its own fast writer; Whoosh's writer (used by add) must find the same index.
    words = ["price", "budget", "the", "too", "expensive", "not", "now", "Café", "naïve", "2.5", "v1.2"]
    words += ["цены", "ещё", "не", "дорого", "کتاب\u200cها"]
    docs = DOCS + [
        bite(
            100 + i,
            " ".join(words[(i * 7 + j) % len(words)] for j in range(i % 13 + 1)),
            title="",  # a field left empty
            call_id=i % 4,
            stage=None if i % 5 else "demo",
            call_date=None if i % 3 else date(2024, 1, 1 + i % 28),
            is_best=i % 9 == 0,
        )
        for i in range(300)  # more than one 128-posting block for the common words
    ]
    whooshs = WhooshIndex(tmp_path / "whoosh")
    whooshs.add(docs)
    bulk = WhooshIndex(tmp_path / "bulk")
    bulk.rebuild(docs)
    assert _index_contents(tmp_path / "bulk") == _index_contents(tmp_path / "whoosh")
    for text in ("too expensive", "цены", '"not now"', "naive", "كتاب"):
        assert bulk.search(SearchQuery(text=text)) == whooshs.search(SearchQuery(text=text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab cé.ЁёйИ\u0306ك\u200cی١ 2-,"), max_size=40))
def test_the_rebuild_analyses_text_as_the_whoosh_analyzer_does(text: str) -> None:
    from enable.analysis import stem_analyzer
    from enable.search.whoosh_bulk import stemmed_terms

    expected = [(t.text, t.pos) for t in stem_analyzer()(text, positions=True, mode="index")]
    assert stemmed_terms(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=14))
def test_a_term_keeps_its_words_first_letter_unless_the_word_is_cyrillic(word: str) -> None:
    # make_snippet analyses only the words starting with a wanted term's first letter, and, for a Cyrillic
    # wanted term, every Cyrillic word (a Russian lemma may start with another letter: "шёл" -> "идти").
    from enable.analysis import _normalize_token, may_change_first_letter, term_of

    normalized = _normalize_token(word)
    term = term_of(word)
    if not normalized:
        return
    if may_change_first_letter(normalized):
        assert may_change_first_letter(term)  # a Cyrillic word's term is Cyrillic
    else:
        assert term[:1] == normalized[:1]


@pytest.mark.parametrize(
    "word", ["dying", "skis", "news", "happy", "early", "Ёлка", "ещё", "цены", "Kaffee", "naïve", "Ъ", "объём", "сh"]
)
def test_stemming_keeps_the_first_letter_of_irregular_words(word: str) -> None:
    from enable.analysis import _normalize_token, term_of

    assert term_of(word)[:1] == _normalize_token(word)[:1]


def test_a_snippet_marks_a_russian_word_whose_lemma_starts_with_another_letter() -> None:
    from enable.analysis import terms

    wanted = terms("идти")
    assert wanted == terms("шёл")
    snippet = make_snippet("Вчера он шёл на встречу, а сегодня шла она.", wanted)
    assert "<mark>шёл</mark>" in snippet and "<mark>шла</mark>" in snippet
