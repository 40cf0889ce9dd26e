"""Report dates are bounded in one place (reports.filters.read_filters) for every report page, CSV and the API:
days before 1900 or after 2199 and ranges longer than REPORT_MAX_DAYS get a message, never a 500 or a page that
lists thousands of years."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enable.auth.models import Role
from enable.db import utcnow
from enable.deals.models import DealOutcome
from enable.extensions import db
from tests.deals.makers import make_bite, make_call, make_deal, make_tag, tag_bite
from tests.reports.pagetables import page_tables

REPORTS = ["usage", "influence", "objections", "certification-outcomes", "onboarding", "search-gaps"]
OUT_OF_BOUNDS = "Enter a date between 1900-01-01 and 2199-12-31."
TOO_LONG = "A report covers at most 1830 days (5 years); choose a shorter date range."


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("query", ["start=0001-01-01&end=9999-12-31", "start=9999-12-31&end=9999-12-31",
                                   "start=0001-01-01&end=0001-01-01", "start=1899-12-31", "end=2200-01-01"])
def test_days_out_of_bounds_get_a_message_on_every_report(login, report, query):
    client = login(Role.ENABLEMENT)
    response = client.get(f"/reports/{report}?{query}")
    assert response.status_code == 200
    assert OUT_OF_BOUNDS in response.get_data(as_text=True)
    assert client.get(f"/reports/{report}?{query}&format=csv").status_code == 200


@pytest.mark.parametrize("report", REPORTS)
def test_a_range_longer_than_the_cap_gets_a_message_and_the_cap_itself_does_not(login, report):
    client = login(Role.ENABLEMENT)
    html = client.get(f"/reports/{report}?start=2019-01-01&end=2024-12-31").get_data(as_text=True)
    assert TOO_LONG in html
    last = date(2019, 1, 1) + timedelta(days=1830 - 1)
    html = client.get(f"/reports/{report}?start=2019-01-01&end={last.isoformat()}").get_data(as_text=True)
    assert TOO_LONG not in html and 'class="field has-error"' not in html
    # A start with no end counts to today.
    start = utcnow().date() - timedelta(days=1830)
    assert TOO_LONG in client.get(f"/reports/{report}?start={start.isoformat()}&end=").get_data(as_text=True)


def test_the_cap_is_configurable(app, login):
    app.config["REPORT_MAX_DAYS"] = 31
    html = login(Role.MANAGER).get("/reports/usage?start=2024-01-01&end=2024-02-01").get_data(as_text=True)
    assert "A report covers at most 31 days" in html


def test_the_message_is_translated(app, login, users):
    from enable.auth.models import User

    with app.app_context():
        db.session.get(User, users[Role.ENABLEMENT]).locale = "ru"
        db.session.commit()
    html = login(Role.ENABLEMENT).get("/reports/usage?start=0001-01-01").get_data(as_text=True)
    assert "Введите дату от 1900-01-01 до 2199-12-31." in html
    html = login(Role.ENABLEMENT).get("/reports/usage?start=2015-01-01&end=2024-01-01").get_data(as_text=True)
    assert "Отчёт охватывает не больше 1830 дней" in html


def test_an_open_range_over_very_old_calls_lists_at_most_ten_years_of_months(app, login):
    with app.app_context():
        price = make_tag("price", en="Price or budget")
        deal = make_deal(outcome=DealOutcome.WON)
        for day in (date(1900, 1, 1), date(2024, 5, 1)):
            tag_bite(make_bite(make_call(title=f"Call {day}", call_date=day, deal_id=deal.id)), price)
        db.session.commit()
    tables = page_tables(login(Role.ENABLEMENT).get("/reports/objections?start=&end=").get_data(as_text=True))
    months = [row[0] for row in tables["months"][1:]]
    assert len(months) == 120 and months[-1] >= "2024-05"
