"""Chart labels speak the page's language: 33,3 % and 0,1 on a Russian page, 33.3% and 0.1 on an English one; the CSV
downloads keep machine-readable numbers (dot decimals) whatever the language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from enable.auth.models import Role
from enable.extensions import db
from enable.learning.models import Assignment, StepCompletion, StepKind
from enable.reports.charts import interval_chart, line_chart
from enable.reports.queries.onboarding import percent_bars
from tests.learning.factories import make_track
from tests.reports.pagetables import csv_rows, page_tables

URL = "/reports/onboarding?start=&end="  # every date, so the cohort below is counted whatever today is
NBSP = "\u00a0"


@pytest.fixture
def one_third_done(app, users):
    """One track of three sign-off steps, assigned to the rep, who has done one: 33.3 % of the steps."""
    with app.app_context():
        track = make_track([(StepKind.SIGNOFF, f"Role-play {i}") for i in range(1, 4)], title="First 30 days")
        assignment = Assignment(track=track, user_id=users[Role.REP], started_on=date(2024, 1, 8),
                                assigned_at=datetime(2024, 1, 8, 8, tzinfo=UTC))
        db.session.add(assignment)
        db.session.flush()
        db.session.add(StepCompletion(assignment=assignment, step_id=track.steps[0].id,
                                      completed_at=datetime(2024, 1, 9, 12, tzinfo=UTC)))
        db.session.commit()


def _russian(client) -> None:
    assert client.post("/language", data={"locale": "ru", "next": "/"}).status_code == 302


def test_the_english_onboarding_chart_is_unchanged(login, one_third_done):
    html = login(Role.ENABLEMENT).get(URL).get_data(as_text=True)
    assert "<title>First 30 days: 33.3%</title>" in html and ">33.3%</text>" in html
    assert ">0%</text>" in html and ">100%</text>" in html


def test_the_russian_onboarding_chart_writes_russian_numbers(login, one_third_done):
    client = login(Role.ENABLEMENT)
    _russian(client)
    html = client.get(URL).get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert f"<title>First 30 days: 33,3{NBSP}%</title>" in html and f">33,3{NBSP}%</text>" in html
    assert f">0{NBSP}%</text>" in html and f">100{NBSP}%</text>" in html
    assert "33.3%" not in html


def test_csv_downloads_keep_dot_decimals_in_russian(login, one_third_done):
    client = login(Role.ENABLEMENT)
    _russian(client)
    header, row = csv_rows(client.get(URL + "&format=csv&table=tracks"))
    assert header[0] != "Track"  # the labels are Russian ...
    assert "33.3" in row and not any("," in cell for cell in row[1:])  # ... the numbers are not


def test_chart_labels_follow_the_locale_of_the_request(app):
    def labels() -> tuple[list[str], list[str], list[str], list[str]]:
        fractions = line_chart(["a", "b"], [("share", [0.1, 0.37])], integer=False)
        bars = percent_bars([("Track", 12.5), ("Other", 100.0)])
        rates = interval_chart([("Row", [("group", 0.5, 0.2, 0.8, 10)])])
        return ([t.label for t in fractions.y_ticks], [b.value_label for b in bars.bars],
                [t.label for t in bars.ticks], [t.label for t in rates.ticks])

    with app.test_request_context("/"):
        with force_locale("en"):
            assert labels() == (["0", "0.1", "0.2", "0.3", "0.4"], ["12.5%", "100.0%"],
                                ["0%", "20%", "40%", "60%", "80%", "100%"], ["0%", "20%", "40%", "60%", "80%", "100%"])
        with force_locale("ru"):
            percents = [f"{k}{NBSP}%" for k in range(0, 101, 20)]
            assert labels() == (["0", "0,1", "0,2", "0,3", "0,4"], [f"12,5{NBSP}%", f"100,0{NBSP}%"], percents,
                                percents)
    assert labels()[1] == ["12.5%", "100.0%"]  # outside a request (scripts, pure tests): English


def test_russian_report_tables_write_russian_numbers_and_the_csv_does_not(login, one_third_done):
    client = login(Role.ENABLEMENT)
    english = page_tables(client.get(URL).get_data(as_text=True))["tracks"]
    _russian(client)
    russian = page_tables(client.get(URL).get_data(as_text=True))["tracks"]
    _, csv_row = csv_rows(client.get(URL + "&format=csv&table=tracks"))
    assert "33.3" in english[1]  # the English page shows what the CSV holds
    assert "33,3" in russian[1] and "33.3" not in russian[1]
    assert "33.3" in csv_row
    # only the notation differs: the same cells, row by row
    assert [cell.replace(",", ".") for cell in russian[1][1:]] == english[1][1:]


def test_number_cells_keep_their_decimals_and_leave_text_alone(app):
    from enable.i18n import number_cell

    with app.test_request_context("/"), force_locale("ru"):
        assert [number_cell(c) for c in ("33.3", "-2.50", "1500", "", "n/a", "2024-01-08", "41000.00")] == [
            "33,3", "-2,50", "1\xa0500", "", "n/a", "2024-01-08", "41\xa0000,00"]
    with app.test_request_context("/"), force_locale("en"):
        assert number_cell("1500.25") == "1,500.25"  # thousands grouped (issue 23: "41000.00 USD")
        assert number_cell("41000.00") == "41,000.00"
