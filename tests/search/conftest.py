"""Fixtures for the search tests: PostgreSQL databases of this test run's own for the PostgreSQL backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import postgres_test_url, scratch_postgres_database


def _fresh_database(purpose: str) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database of this run's own, dropped afterwards."""
    with scratch_postgres_database(postgres_test_url(), f"pgsearch_{purpose}") as url:
        yield url


@pytest.fixture(scope="session")
def pg_search_url() -> Iterator[str]:
    """A database of this run for the search tables alone (the backend-contract tests)."""
    yield from _fresh_database("index")


@pytest.fixture(scope="session")
def pg_app_url() -> Iterator[str]:
    """A database of this run for a whole application (the page tests with SEARCH_BACKEND=postgres)."""
    yield from _fresh_database("app")
