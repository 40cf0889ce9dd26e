"""Out-of-range numbers and unknown choices, on every registered route for every role: never a 500.

Ids in the URL beyond a 64-bit integer are 404; query arguments beyond it, or naming no known choice, are 400
or are ignored (a filter left unset), never an overflow deep in the database driver.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from enable.auth.models import Role
from tests.api.conftest import World, seed
from tests.conftest import REPO, base_config, made_app

HUGE = "99999999999999999999999"
JUST_ABOVE = str(2**63)  # the first integer SQLite (and PostgreSQL's bigint) cannot hold


def _query_names() -> list[str]:
    """Every query argument a view reads, and every field of the forms (GET filter forms read theirs from the URL)."""
    names: set[str] = set()
    for path in (REPO / "enable").rglob("*.py"):
        source = path.read_text()
        names |= set(re.findall(r"args\.(?:get|getlist)\(\"(\w+)\"", source))
        names |= set(re.findall(r"request\.args, \"(\w+)\"", source))
        names |= set(re.findall(r"^\s+(\w+) = \w+Field\(", source, re.M))
    return sorted(names - {"csrf_token"})


QUERY_NAMES = _query_names()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp: Path = tmp_path_factory.mktemp("range")
    with made_app(base_config(tmp, JOBS_IMMEDIATE=False)) as app:
        world: World = seed(app)
        yield app, world


def _client(app, role: Role | None):
    client = app.test_client()
    if role is not None:
        response = client.post("/auth/login", data={"email": f"{role.value}@example.test", "password": "password1"})
        assert response.status_code == 302
    return client


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and "GET" in rule.methods and not rule.rule.startswith("/api/"):
            yield rule


def test_the_walk_reads_the_query_arguments_the_issue_named():
    assert {"page", "team", "owner", "outcome", "deal", "tag"} <= set(QUERY_NAMES)


@pytest.mark.parametrize("role", [None, *Role])
def test_huge_ids_and_huge_or_unknown_arguments_on_every_route_are_never_a_server_error(site, role):
    app, _world = site
    client = _client(app, role)
    failures = []
    checked = 0
    for rule in _get_rules(app):
        huge_url = re.sub(r"<int:[^>]+>", HUGE, re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
        real_url = re.sub(r"<int:[^>]+>", "1", re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
        cases = [(huge_url, {}, True), (huge_url.replace(HUGE, JUST_ABOVE), {}, True)]
        cases += [(real_url, dict.fromkeys(QUERY_NAMES, value), False)
                  for value in (HUGE, JUST_ABOVE, "-" + HUGE, "zzz-unknown", "9999-12-31", "0001-01-01")]
        for url, query, huge_id in cases:
            response = client.get(url, query_string=query)
            checked += 1
            shown = f"GET {url}?{'&'.join(f'{k}={v}' for k, v in query.items())[:60]}"
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {shown}")
            elif huge_id and "<int:" in rule.rule and role is not None and response.status_code not in (302, 403, 404):
                failures.append(f"{response.status_code} (not 404) {shown}")
    assert checked > 100
    assert failures == [], "\n".join(sorted(set(failures)))


def test_a_huge_id_is_not_found_for_every_method_on_every_route(site):
    """An id above the largest row id names nothing, whatever the method: 404, never 405 (the GET rule of the same
    path would otherwise have matched all but its method), never 500."""
    app, _world = site
    client = _client(app, Role.ADMIN)
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:[^>]+>", str(2**31), re.sub(r"<(?!int:)[^>]+>", "x", rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            checked += 1
            if response.status_code not in (302, 401, 403, 404):
                failures.append(f"{response.status_code} {method} {url}")
    assert checked > 100
    assert failures == [], "\n".join(sorted(set(failures)))
