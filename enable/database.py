"""Engine settings: SQLite in WAL mode with a busy timeout and foreign keys enforced."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from enable.extensions import db

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the worker writes; busy_timeout makes concurrent writers wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Attach the SQLite connection settings once the engine exists."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _configure_sqlite)


def lock_row(row: Any) -> None:
    """Hold the write lock of `row` (any model with an `id`) until the transaction ends, and reload it.

    For a check-then-insert under that row (attempts of a user, tokens of a user, bites of a playlist): two requests
    checking at once would both pass, so each takes the lock first and checks after it, seeing what the other
    committed. A no-op UPDATE: PostgreSQL makes other writers of that row wait, SQLite every other writer (where
    SELECT ... FOR UPDATE does nothing).
    """
    row = getattr(row, "_get_current_object", lambda: row)()  # current_user is a proxy of the row
    db.session.flush()
    table = type(row).__table__
    db.session.execute(update(table).where(table.c.id == row.id).values(id=table.c.id))
    db.session.expire(row)

def commit_if_possible(what: str) -> bool:
    """Commit a write that a request can do without (the search log): when the database cannot take it (a full
    disk, a lock held too long), roll back, log why and go on. True when it was committed."""
    try:
        db.session.commit()
    except SQLAlchemyError as e:
        db.session.rollback()
        log.warning("%s not saved (the request goes on without it): %s", what, e)
        return False
    return True
