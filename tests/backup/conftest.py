"""Backups are taken of migrated databases, as on a real site (`flask db upgrade`, never create_all): the `app`
fixture here builds its schema with the Alembic migrations, so the manifest carries a real revision."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from enable.extensions import db
from tests.backup.helpers import migrated_app


@pytest.fixture
def app(app_config: dict):
    app = migrated_app(app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def own_postgres(postgres_url):
    """A database of this test's own on the PostgreSQL server (other engineers share `test`), dropped after."""
    name = f"enable_b_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
