"""`make demo` builds a living site: the steps it runs (content load, demo load) give every report something to show,
the sample calls in both languages, and the demo logins."""

from __future__ import annotations

import re

import pytest

from enable.demo import DEMO_PASSWORD, DEMO_USERS

REPORTS = ["/reports/usage", "/reports/influence", "/reports/objections", "/reports/certification-outcomes",
           "/reports/onboarding", "/reports/search-gaps"]
EMPTY = re.compile(r"No data to chart|Nothing (?:to show|yet)|No (?:usage|searches|deals|results) ", re.IGNORECASE)


@pytest.fixture
def loaded_demo(app, runner):
    for command in (["content", "load"], ["demo", "load"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_prints_its_logins_fills_every_report_and_answers_in_both_languages(app, loaded_demo):
    """One test, as loading the demo takes a while."""
    assert "demo sample calls: 6 sample calls imported" in loaded_demo
    assert f"password for all: {DEMO_PASSWORD}" in loaded_demo
    assert all(email in loaded_demo for email, _name, _role in DEMO_USERS)

    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": "admin@example.test", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    for url in REPORTS:
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not EMPTY.search(html), (url, EMPTY.search(html))
        assert "<svg" in html or "<table" in html, url
    onboarding = client.get("/reports/onboarding").get_data(as_text=True)
    assert "Riley Rep" in onboarding  # the veteran rep's ramp: hired, certified, first deal won

    russian = client.get("/search/?q=дорого").get_data(as_text=True)
    assert "Ромашка" in russian and 'href="/bites/' in russian
    english = client.get("/search/?q=expensive").get_data(as_text=True)
    assert "Northwind" in english
