"""The search pages and `flask search` commands with SEARCH_BACKEND=postgres on a PostgreSQL app database.

The page tests of test_views.py are imported and run again here, with this module's `app`: the
application's database is PostgreSQL (built by the real migrations, 0009 included) and the search
index lives in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from enable import create_app
from enable.auth.models import Role
from enable.extensions import db
from enable.search.indexing import get_index
from enable.search.postgres_backend import PostgresIndex
from enable.search.postgres_backend import metadata as search_tables
from tests.conftest import base_config
from tests.search import test_views
from tests.search.test_views import result_ids, search

# The fixture and page tests of test_views.py, collected again here where `app` is on PostgreSQL (stemming,
# Persian and each filter are covered for both backends by test_backend_contract.py).
library = test_views.library
test_a_quoted_phrase_finds_the_bite_holding_it_and_no_other = (
    test_views.test_a_quoted_phrase_finds_the_bite_holding_it_and_no_other)
test_facets_show_display_names_and_counts = test_views.test_facets_show_display_names_and_counts
test_results_show_call_rep_date_tags_outcome_and_highlighted_snippet = (
    test_views.test_results_show_call_rep_date_tags_outcome_and_highlighted_snippet)
test_a_script_in_a_transcript_is_shown_as_text = test_views.test_a_script_in_a_transcript_is_shown_as_text
test_a_misspelled_word_gets_a_suggestion = test_views.test_a_misspelled_word_gets_a_suggestion
test_an_unreadable_query_gets_a_message_not_an_error = test_views.test_an_unreadable_query_gets_a_message_not_an_error
test_sort_by_date_and_best_examples_first = test_views.test_sort_by_date_and_best_examples_first
test_cli_search_query = test_views.test_cli_search_query


@pytest.fixture(scope="module")
def migrated_url(pg_app_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app database, built once by `flask db upgrade` (every migration, the search tables included)."""
    app = create_app(base_config(tmp_path_factory.mktemp("migrate"), SQLALCHEMY_DATABASE_URI=pg_app_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return pg_app_url


@pytest.fixture
def app_config(tmp_path: Path, migrated_url: str) -> dict:
    return base_config(tmp_path, SQLALCHEMY_DATABASE_URI=migrated_url, SEARCH_BACKEND="postgres")


@pytest.fixture
def app(app_config: dict):
    app = create_app(app_config)
    # Empty every table; DELETE, not TRUNCATE: on a few dozen small tables it is several times faster.
    with app.app_context(), db.engine.begin() as conn:
        for table in [*search_tables.sorted_tables, *reversed(db.metadata.sorted_tables)]:
            conn.execute(table.delete())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_index_is_the_postgres_one_in_the_app_database(app, library):
    with app.app_context():
        index = get_index()
        assert isinstance(index, PostgresIndex)
        assert index.count() == len(library)
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM search_fts_bite")) == len(library)


def test_search_rebuild_command_fills_the_index_from_the_database(app, library, runner, login):
    with app.app_context():
        get_index().clear()
    assert result_ids(search(login(Role.REP), q="expensive")) == []
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "search index rebuilt: 5 bites of 4 calls" in result.output
    assert result_ids(search(login(Role.REP), q="expensive")) == [library["price"], library["scattered"]]


def test_missing_search_tables_give_a_clear_message(app, login, library, runner):
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE search_fts_bite RENAME TO search_fts_bite_away"))
    try:
        response = login(Role.REP).get("/search/?q=price")
        assert response.status_code == 503
        assert "flask search rebuild" in response.get_data(as_text=True)
        result = runner.invoke(args=["search", "rebuild"])
        assert result.exit_code == 1 and "run `flask --app wsgi db upgrade`" in result.output, result.output
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE search_fts_bite_away RENAME TO search_fts_bite"))


def test_the_postgres_backend_refuses_to_start_on_sqlite(tmp_path):
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND=postgres .* PostgreSQL, but DATABASE_URL is sqlite"):
        create_app(base_config(tmp_path, SEARCH_BACKEND="postgres"))
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND='solr' is not available"):
        create_app(base_config(tmp_path, SEARCH_BACKEND="solr"))
