"""Search by meaning with SEARCH_BACKEND=postgres: pgvector is detected (not installable here), and the fallback,
the local sentence index, finds moments across languages with the PostgreSQL word index and its filters."""

from __future__ import annotations

import pytest

from enable.extensions import db
from enable.search import by_meaning
from enable.search.index import SearchQuery
from enable.search.services import run_index_query
from tests.bites.test_meaning import MODEL, ingest
from tests.search.test_meaning_search import ENGLISH, bite_ids_of
from tests.search.test_pg_views import app, migrated_url  # noqa: F401 (fixtures)


@pytest.fixture
def app_config(tmp_path, migrated_url):  # noqa: F811
    from tests.conftest import base_config

    return base_config(tmp_path, SQLALCHEMY_DATABASE_URI=migrated_url, SEARCH_BACKEND="postgres",
                       EMBEDDING_MODEL=MODEL)


def test_a_russian_query_finds_the_english_moment_on_postgres(app):  # noqa: F811
    from tests.calls.helpers import load_content

    with app.app_context():
        assert by_meaning.pgvector_available() in (True, False)  # detected, whichever it is
        load_content()
        english = ingest("negotiation-price", ENGLISH)
        found = run_index_query(SearchQuery(text="для нас это слишком дорого"))
        assert found.total == 1 and found.hits[0].id in bite_ids_of(english)
        assert "it costs a lot more than we had expected" in found.hits[0].snippet
        assert run_index_query(SearchQuery(text="для нас это слишком дорого", filters={"language": ["ru"]})).total == 0
        assert run_index_query(SearchQuery(text="для нас это слишком дорого", filters={
            "objection": ["price"], "said_by": ["customer"]})).total == 1
        db.session.remove()
