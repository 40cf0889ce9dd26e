"""Migrations build the schema the models describe, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from enable import create_app
from enable.extensions import db
from enable.search.postgres_backend import include_object
from tests.conftest import base_config


def _upgrade_and_compare(url: str, tmp_path) -> list:
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            # The PostgreSQL search tables live outside the models (see enable/search/postgres_backend.py).
            opts = {"compare_type": True, "include_object": include_object}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            tables = set(inspect(conn).get_table_names())
        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert {"user", "team", "tag", "tag_phrase", "call", "bite", "bite_tag", "deal", "usage_event",
            "audit_event"} <= tables
    assert left == set(), f"downgrade left tables behind: {left}"
    return diff


def test_sqlite_migrations_match_models(tmp_path):
    diff = _upgrade_and_compare(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path)
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.postgres
def test_postgres_migrations_match_models(own_postgres, tmp_path):
    # An empty database of this test's own: runs at the same time share the database of ENABLE_TEST_DATABASE_URL.
    diff = _upgrade_and_compare(own_postgres, tmp_path)
    assert diff == [], f"models and migrations differ on PostgreSQL: {diff}"


def test_running_migrations_in_process_leaves_the_sites_loggers_on(tmp_path, caplog):
    """A restore upgrades inside the web server: Alembic's logging setup must not silence the site's loggers."""
    import logging

    from enable.calls import services  # noqa: F401 (its logger exists before the upgrade, as in a running site)

    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert (root.handlers, root.level) == (handlers, level)
    assert not logging.getLogger("enable.calls.services").disabled
    caplog.set_level("WARNING")
    logging.getLogger("enable.calls.services").warning("still logging")
    assert "still logging" in caplog.text
