"""Dates and numbers in the user's locale: the template filters the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string

TEMPLATE = ("{{ d|date }} | {{ t|datetime }} | {{ 1234567.5|number }} | {{ (0.125 * 100)|decimal(1) }}% | "
            "{{ 4000|decimal(2) }} | {{ none|decimal }}")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "May 4, 2026 | May 4, 2026, 9:30\u202fAM | 1,234,567.5 | 12.5% | 4000.00 | "),
    ("ru", "4 мая 2026\u202fг. | 4 мая 2026\u202fг., 09:30 | 1\xa0234\xa0567,5 | 12,5% | 4000,00 | "),
])
def test_dates_and_numbers_follow_the_locale(app, language, expected):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert render_template_string(TEMPLATE, d=date(2026, 5, 4), t=datetime(2026, 5, 4, 9, 30, tzinfo=UTC)) \
            == expected


def test_a_date_is_formatted_anew_when_the_language_changes(app):
    """Call dates are remembered once formatted (a results page repeats them): never in the wrong language."""
    day = date(2026, 3, 9)
    seen = []
    for language in ("en", "ru", "en", "ru"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            seen.append(render_template_string("{{ d|date }} {{ d|date('long') }}", d=day))
    assert seen == ["Mar 9, 2026 March 9, 2026", "9 мар. 2026\u202fг. 9 марта 2026\u202fг.",
                    "Mar 9, 2026 March 9, 2026", "9 мар. 2026\u202fг. 9 марта 2026\u202fг."]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_moment_writes_its_date_as_a_date_does(app, language):
    """One date format per page (issue 23): "Nov 28, 2026, 10:00 AM" beside "Nov 30, 2026", never "11/28/26"."""
    from enable.i18n import date_text, datetime_text

    with app.test_request_context("/", headers={"Accept-Language": language}):
        moment = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
        assert datetime_text(moment).startswith(date_text(date(2026, 11, 28)))


def test_no_template_chooses_another_date_style():
    """Pages format moments through the one `datetime` filter, without a style of their own."""
    import re

    from tests.conftest import REPO

    styled = [f"{path.relative_to(REPO)}: {m.group()}" for path in (REPO / "enable").rglob("*.html")
              for m in re.finditer(r"\|\s*datetime\s*\(|format_datetime\(|strftime\(", path.read_text("utf-8"))]
    assert styled == []


@pytest.mark.parametrize(("language", "days", "expected"), [
    ("en", 64.0, "64 days"), ("en", 1.2, "1 day"), ("en", 0.25, "6 hours"), ("en", 0.01, "1 hour"),
    ("ru", 64.0, "64 дня"), ("ru", 1.0, "1 день"), ("ru", 5.4, "5 дней"),
])
def test_spans_of_days_read_as_whole_days_in_the_right_plural(app, language, days, expected):
    from enable.i18n import days_text

    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert days_text(days) == expected
