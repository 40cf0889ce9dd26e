"""A web process opens and warms its search index in the background as it starts, so its first searches are fast."""

from __future__ import annotations

from enable import create_app
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index, warm_in_background
from tests.conftest import base_config
from tests.search.test_whoosh_backend import DOCS


def _app(tmp_path, **overrides):
    app = create_app(base_config(tmp_path, **overrides))
    with app.app_context():
        db.create_all()
        get_index().add(DOCS)
    app.extensions.pop("search")  # as a new process: nothing opened yet
    return app


def test_a_starting_web_process_opens_the_index_before_the_first_search(tmp_path):
    app = _app(tmp_path, SEARCH_WARM=True)
    thread = warm_in_background(app)
    assert thread is not None and thread.daemon
    thread.join(timeout=60)
    index = app.extensions["search"]
    assert index._snapshot is not None  # opened, with its facets and dates computed
    with app.app_context():
        assert get_index() is index
        assert get_index().search(SearchQuery(text="expensive")).total == 2


def test_tests_do_not_warm_unless_they_ask(tmp_path):
    app = _app(tmp_path)
    assert warm_in_background(app) is None
    assert "search" not in app.extensions
    assert warm_in_background(_app(tmp_path / "off", TESTING=False, SEARCH_WARM=False)) is None
