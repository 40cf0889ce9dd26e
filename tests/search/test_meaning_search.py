"""Search by meaning with the real sentence model: a query in one language finds moments said in another, the
snippet of a moment found by meaning is the sentence that matched, the "said by" facet, and word search carrying on
when the model is damaged or off."""

from __future__ import annotations

import pytest

from enable.api import tokens
from enable.auth.models import Role, User
from enable.extensions import db
from enable.meaning import embedding
from enable.search import by_meaning
from enable.search.index import SearchQuery
from enable.search.services import run_index_query
from tests.bites.test_meaning import MODEL, damaged_model, ingest  # noqa: F401 (a fixture)

ENGLISH = [("rep", "Thanks for walking me through your process."),
           ("customer", "Honestly, it costs a lot more than we had expected.")]
RUSSIAN = [("rep", "Спасибо, что рассказали о вашем процессе."),
           ("customer", "Эта покупка должна быть одобрена руководителем.")]


@pytest.fixture
def app_config(app_config):
    app_config["EMBEDDING_MODEL"] = MODEL
    return app_config


@pytest.fixture
def two_calls(app):
    from tests.calls.helpers import load_content

    with app.app_context():
        load_content()
        english = ingest("negotiation-price", ENGLISH)
        russian = ingest("discovery-competitor", RUSSIAN)
        return english, russian


def bite_ids_of(call_id: int) -> set[int]:
    from tests.calls.helpers import call_of

    return {b.id for b in call_of(call_id).bites}


def test_a_russian_query_finds_the_english_moment_and_the_reverse(app, two_calls):
    english, russian = two_calls
    with app.app_context():
        assert by_meaning.sentence_index().is_current()  # built when the first call was indexed
        found = run_index_query(SearchQuery(text="для нас это слишком дорого"))
        assert found.hits and found.hits[0].id in bite_ids_of(english)
        # no word of the query is in the bite: the snippet is the sentence that matched by meaning
        assert "it costs a lot more than we had expected" in found.hits[0].snippet
        assert "by-meaning" in found.hits[0].snippet
        back = run_index_query(SearchQuery(text="the manager has to approve the purchase"))
        assert back.hits and back.hits[0].id in bite_ids_of(russian)
        assert "одобрена руководителем" in back.hits[0].snippet
        # facets apply to both sides: a Russian-only filter keeps the English moment out
        russian_only = run_index_query(SearchQuery(text="для нас это слишком дорого", filters={"language": ["ru"]}))
        assert not bite_ids_of(english) & {h.id for h in russian_only.hits}


def test_words_still_rank_and_highlight_and_the_page_shows_the_meaning_match(app, two_calls, login):
    english, _russian = two_calls
    with app.app_context():
        found = run_index_query(SearchQuery(text="expected"))
        assert found.hits[0].id in bite_ids_of(english) and "<mark>expected</mark>" in found.hits[0].snippet
    page = login(Role.REP).get("/search/?q=слишком+дорого+для+нас").get_data(as_text=True)
    assert "it costs a lot more than we had expected" in page


def test_said_by_the_customer_on_the_search_page_and_in_the_api(app, two_calls, login, users):
    client = login(Role.REP)
    page = client.get("/search/?objection=price&said_by=customer").get_data(as_text=True)
    assert "costs a lot more" in page and "Said by" in page
    assert "costs a lot more" not in client.get("/search/?objection=price&said_by=rep").get_data(as_text=True)
    with app.app_context():
        _token, secret = tokens.create_token(db.session.get(User, users[Role.REP]), name="t",
                                             scope=tokens.TokenScope.READ)
        db.session.commit()
    found = app.test_client().get("/api/v1/bites?said_by=customer&objection=price",
                                  headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert found["total"] == 1 and "costs a lot more" in found["data"][0]["bite"]["text"]


def test_a_damaged_model_leaves_word_search_working(app, two_calls, damaged_model):  # noqa: F811
    by_meaning._query_vector.cache_clear()
    with app.app_context():
        found = run_index_query(SearchQuery(text="expected"))
        assert found.total == 1 and found.error is None
        assert run_index_query(SearchQuery(text="для нас это слишком дорого")).total == 0  # no word of it said


def test_with_the_model_off_search_is_word_only(app, two_calls):
    app.config["EMBEDDING_MODEL"] = "off"
    with app.app_context():
        assert by_meaning.nearest_moments("для нас это слишком дорого") is None
        assert run_index_query(SearchQuery(text="expected")).total == 1
    embedding.forget_loaded()
