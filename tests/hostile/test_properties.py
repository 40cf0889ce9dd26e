"""Hostile input, property-based: the search box through the real view and a real Whoosh index, the deal import
page on random bytes, and the slicer on disordered, overlapping and degenerate segment lists.

(The slicer's ordered-transcript property and the CSV parser's random-bytes property live in
tests/bites/test_slicer.py and tests/deals/test_csv_import.py; these add the hostile cases through the web.)
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enable.auth.models import Role, User
from enable.bites.slicer import cut_bites, ends_sentence, flatten_words
from enable.extensions import db
from enable.transcription.types import Segment, Word
from tests.search.factories import index_everything, make_bite, make_call, seed_taxonomy, tag

FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
MIN_S, TARGET_S, MAX_S = 45.0, 120.0, 150.0

# Text a person or a script might type into the search box: query syntax, field names, quotes, wildcards, scripts.
SYNTAX = ['"', "'", "(", ")", "AND", "OR", "NOT", ":", "*", "?", "~", "^", "[", "]", "{", "}", "\\", "/", "-", "+",
          "stage:", "objection:", "tag:", "from:", "to:", "price", "цена", "دوره", "<script>", "%", "\x00", "\u200c",
          " ", "\t", "\n", "..", "TO", "*:*", "q=", "&", "#"]
QUERIES = st.text(max_size=60) | st.lists(st.sampled_from(SYNTAX), max_size=12).map("".join)


@pytest.fixture
def searchable(app, users):
    with app.app_context():
        seed_taxonomy()
        rep = db.session.get(User, users[Role.REP])
        call = make_call(title="Hostile search call", rep_id=rep.id)
        make_bite(call, "Honestly this is too expensive for us, the price is high.", start_s=0, end_s=60,
                  tags=[tag("objection", "price"), tag("stage", "negotiation")])
        make_bite(call, "Цена слишком высокая, это дорого.", start_s=60, end_s=120, tags=[tag("stage", "negotiation")])
        db.session.commit()
        index_everything()


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURE_OK)
@given(text=QUERIES, sort=st.sampled_from(["", "relevance", "newest", "zzz"]),
       extra=st.dictionaries(st.sampled_from(["stage", "objection", "from", "to", "page", "deal"]),
                             st.text(max_size=20), max_size=3))
def test_the_search_box_answers_any_string_with_results_or_a_message(rep_client, searchable, text, sort, extra):
    # (function-scoped fixtures run once for all examples: one index, one signed-in rep)
    args = {"q": text, "sort": sort, **extra}
    response = rep_client.get("/search/", query_string=args)
    html = response.get_data(as_text=True)
    if any("\x00" in value for value in args.values()):  # no text may hold NUL: refused for every input alike
        assert response.status_code == 400 and "NUL" in html, args
        return
    assert response.status_code == 200, (args, response.status_code)
    assert 'class="result-title"' in html or "flash-error" in html or "No bites match." in html


@pytest.fixture
def rep_client(login):
    return login(Role.REP)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=st.binary(max_size=3000) | st.text(max_size=500).map(lambda s: ("Deal ID,Deal name\n" + s).encode()),
       name=st.sampled_from(["deals.csv", "deals.txt", "deals.tsv"]), fmt=st.sampled_from(["auto", "salesforce",
                                                                                          "hubspot", "bitrix"]))
def test_the_deal_import_page_never_fails_on_random_bytes(lead_client, data, name, fmt):
    client = lead_client
    response = client.post("/deals/import", data={"file": (io.BytesIO(data), name), "format": fmt},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 302:
        preview = client.get(response.headers["Location"])
        assert preview.status_code in (200, 422), preview.status_code
        page = preview.get_data(as_text=True)
        # a clear whole-file problem, a mapping to choose, or a plan of rows (with their line numbers)
        assert "flash-error" in page or "mapping-form" in page or "import_confirm" in page or \
            "/import/" in page and "confirm" in page, page[:800]


@pytest.fixture
def lead_client(login):
    return login(Role.ENABLEMENT)


@st.composite
def disordered_calls(draw: st.DrawFn) -> list[Segment]:
    """Segments handed over in any order, with zero-length words, blank words, words that touch, numbers split
    into pieces, quotes after sentence ends, and segments without word timings (whisper never overlaps words)."""
    segments, t = [], draw(st.floats(0, 50))
    for _ in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 5)) == 0:
            text = draw(st.sampled_from(["", " ", " A whole segment.", " no end mark"]))
            # a segment without word timings may last long; silence (a blank one) stays short, since bites across
            # a silence longer than the bounds cannot keep them
            length = draw(st.floats(0, 200 if text.strip() else 20))
            segments.append(Segment(t, t + length, text, None, []))
            t += length + draw(st.floats(0, 5))
            continue
        words = []
        for _ in range(draw(st.integers(1, 20))):
            length = draw(st.sampled_from([0.0, 0.01, 0.3, 1.0, 3.0]))
            mark = draw(st.sampled_from(["", "", ".", "?", "…", "!\"", "»"]))
            body = draw(st.sampled_from([" price", " цена", "", " ", ",000", " 40", " we"]))
            words.append(Word(t, t + length, body + mark, 0.9, draw(st.sampled_from([None, "rep", "customer"]))))
            t += length + draw(st.sampled_from([0.0, 0.2, 1.0, 5.0]))
        segments.append(Segment(words[0].start, words[-1].end, "", None, words))
    return draw(st.permutations(segments))


@settings(max_examples=100, deadline=None)
@given(disordered_calls())
def test_the_slicer_covers_every_word_exactly_once_on_any_segment_list(segments):
    words = flatten_words(segments)
    bites = cut_bites(segments, TARGET_S, MIN_S, MAX_S)
    if not words:
        assert bites == []
        return
    covered = [i for bite in bites for i in range(bite.first_word, bite.last_word + 1)]
    assert covered == list(range(len(words))), "every word in exactly one bite, in order"
    for bite in bites:
        assert bite.start_s == words[bite.first_word].start
        assert bite.end_s == words[bite.last_word].end
    span = words[-1].end - words[0].start
    if span < MIN_S:
        assert len(bites) == 1, "a call shorter than the minimum is one bite"
        return
    # The bounds hold whenever the words allow them: no word and no silence longer than a fraction of the minimum.
    gaps = [b.start - a.end for a, b in zip(words, words[1:], strict=False)]
    if max(w.end - w.start for w in words) > MIN_S / 4 or max(gaps, default=0.0) > MIN_S / 4:
        return
    starts = [0] + [i + 1 for i, w in enumerate(words[:-1]) if ends_sentence(w.text)]
    for bite in bites:
        assert bite.duration_s >= MIN_S, bite
        if bite.duration_s > MAX_S:  # only where one sentence is longer than the maximum
            inner = [s for s in starts if bite.first_word < s <= bite.last_word]
            firsts, lasts = [bite.first_word, *inner], [*[s - 1 for s in inner], bite.last_word]
            assert any(words[b].end - words[a].start > MAX_S for a, b in zip(firsts, lasts, strict=True)), bite
