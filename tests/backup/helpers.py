"""Helpers of the backup tests."""

from __future__ import annotations

from enable import create_app
from enable.backup.services import migrate_to_head


def migrated_app(config: dict):
    """An app whose database was built by the Alembic migrations (to head), as `flask db upgrade` builds it."""
    app = create_app(config)
    with app.app_context():
        migrate_to_head()
    return app
