"""Dates and numbers in the user's locale: the template filters the pages use."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string

TEMPLATE = ("{{ d|date }} | {{ t|datetime('short') }} | {{ 1234567.5|number }} | {{ (0.125 * 100)|decimal(1) }}% | "
            "{{ 4000|decimal(2) }} | {{ none|decimal }}")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "May 4, 2026 | 5/4/26, 9:30\u202fAM | 1,234,567.5 | 12.5% | 4000.00 | "),
    ("ru", "4 мая 2026\u202fг. | 04.05.2026, 09:30 | 1\xa0234\xa0567,5 | 12,5% | 4000,00 | "),
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
