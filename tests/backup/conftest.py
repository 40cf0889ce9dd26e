"""Backups are taken of migrated databases, as on a real site (`flask db upgrade`, never create_all): the `app`
fixture here builds its schema with the Alembic migrations, so the manifest carries a real revision."""

from __future__ import annotations

import pytest

from enable.extensions import db
from tests.backup.helpers import migrated_app
from tests.conftest import on_postgres


@pytest.fixture
def app_config(app_config: dict, tmp_path) -> dict:
    """SQLite on both passes: these tests read the SQLite layout of a backup (a database file in the archive); the
    PostgreSQL layout (a JSON file per table) has its own tests, which name their PostgreSQL database."""
    if on_postgres():
        app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.db'}"
    return app_config


@pytest.fixture
def app(app_config: dict):
    app = migrated_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

