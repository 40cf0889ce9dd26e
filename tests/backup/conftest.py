"""Backups are taken of migrated databases, as on a real site (`flask db upgrade`, never create_all): the `app`
fixture here builds its schema with the Alembic migrations, so the manifest carries a real revision."""

from __future__ import annotations

import pytest

from enable.extensions import db
from tests.backup.helpers import migrated_app


@pytest.fixture
def app(app_config: dict):
    app = migrated_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

