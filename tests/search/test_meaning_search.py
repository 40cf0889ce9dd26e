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


GONG = [("customer", "We already use Gong for our calls."),
        ("rep", "Many teams moved from Gong to us because the library answers questions in their language."),
        ("rep", "Would a side by side trial on your own calls help?"),
        ("customer", "Yes, let us try that next week.")]


def test_ask_the_library_answers_with_the_reply_grouped_by_rep_and_a_play_button(app, two_calls, login, users):
    from enable.bites.models import Bite
    from enable.calls.models import Call
    from enable.deals.models import Deal, DealOutcome

    with app.app_context():
        gong = ingest("demo-timing", GONG)
        call = db.session.get(Call, gong)
        deal = Deal(external_id="CRM-9", name="Acme", outcome=DealOutcome.WON, owner_id=users[Role.REP])
        db.session.add(deal)
        db.session.flush()
        call.rep_id, call.deal_id = users[Role.REP], deal.id
        db.session.commit()
        bite_id = db.session.query(Bite.id).filter(Bite.call_id == gong).scalar()
    client = login(Role.REP)
    page = client.get("/search/ask?q=how do our best reps answer 'we already work with Gong'?")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    with app.app_context():
        rep_name = db.session.get(User, users[Role.REP]).name
    assert f"{rep_name}\n" in text and "1 won deal" in text  # grouped under the rep, whose deal was won
    assert "We already use Gong for our calls." in text  # the sentence that matched
    assert "Many teams moved from Gong" in text and "side by side trial" in text  # the rep's reply
    assert f"/calls/{gong}/media#t=" in text and f"/bites/{bite_id}?t=" in text  # play there, or open the bite
    with app.app_context():
        _token, secret = tokens.create_token(db.session.get(User, users[Role.REP]), name="t",
                                             scope=tokens.TokenScope.READ)
        db.session.commit()
    api = app.test_client().get("/api/v1/ask?q=what do we say to 'we already use Gong'",
                                headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    first = api.get_json()["groups"][0]
    assert first["won_deals"] == 1 and first["moments"][0]["bite"]["id"] == bite_id
    sentences = first["moments"][0]["sentences"]
    assert sentences[0] == {"text": "We already use Gong for our calls.", "start_s": 0.0, "said_by": "customer",
                            "matched": True}
    assert [s["said_by"] for s in sentences[1:3]] == ["rep", "rep"]
    assert first["moments"][0]["play_url"].endswith("#t=0.00")
    from enable.search.models import SearchLog

    with app.app_context():  # questions are logged for the search-gap report like searches
        assert db.session.query(SearchLog).filter(SearchLog.query.like("%Gong%")).count() == 2


def test_asking_without_the_model_finds_moments_by_words(app, two_calls, login):
    app.config["EMBEDDING_MODEL"] = "off"
    page = login(Role.REP).get("/search/ask?q=what do we answer to 'more than we had expected'")
    assert page.status_code == 200
    assert "<mark dir=\"auto\">Honestly, it costs a lot more than we had expected.</mark>" in page.get_data(
        as_text=True)
    assert login(Role.REP).get("/search/ask").status_code == 200  # the empty box


@pytest.mark.parametrize("model", [MODEL, "off"])
def test_asking_with_a_damaged_index_is_a_clear_503(app, two_calls, login, users, model):
    """A damaged word index: the question page and the API say to rebuild it (never a 500), by meaning or by words."""
    from pathlib import Path

    app.config["EMBEDDING_MODEL"] = model
    with app.app_context():
        from enable.search.indexing import get_index

        get_index().close()
        app.extensions.pop("search", None)
        for segment in Path(app.config["INDEX_DIR"]).glob("*.seg"):
            segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
        _token, secret = tokens.create_token(db.session.get(User, users[Role.REP]), name="t",
                                             scope=tokens.TokenScope.READ)
        db.session.commit()
    page = login(Role.REP).get("/search/ask?q=what do we answer to 'more than we had expected'")
    assert page.status_code == 503 and "flask search rebuild" in page.get_data(as_text=True)
    api = app.test_client().get("/api/v1/ask?q=what do we answer to 'more than we had expected'",
                                headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 503 and "flask search rebuild" in api.get_json()["error"]["message"]
