"""Fixtures for the search tests: PostgreSQL databases of this test run's own for the PostgreSQL backend."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import _reachable


def _fresh_database(purpose: str) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database (other engineers share `test`), dropped afterwards."""
    url = os.environ.get("ENABLE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("ENABLE_TEST_DATABASE_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    why = _reachable(url)
    if why:
        pytest.skip(f"PostgreSQL at ENABLE_TEST_DATABASE_URL is not reachable: {why}")
    name = f"enable_pgsearch_{purpose}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_search_url() -> Iterator[str]:
    """A database of this run for the search tables alone (the backend-contract tests)."""
    yield from _fresh_database("index")


@pytest.fixture(scope="session")
def pg_app_url() -> Iterator[str]:
    """A database of this run for a whole application (the page tests with SEARCH_BACKEND=postgres)."""
    yield from _fresh_database("app")
