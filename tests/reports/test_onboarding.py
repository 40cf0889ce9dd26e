"""Onboarding: progress per track and per person, overdue steps and ramp equal values worked out by hand; the CSV
equals the page; the team filter and a manager's scope narrow it; and the report writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.deals.models import DealOutcome
from enable.extensions import db
from enable.learning.models import (
    Assignment,
    Certification,
    CertificationAward,
    CertificationRequirement,
    RequirementKind,
    StepCompletion,
    StepKind,
)
from enable.reports.filters import Scope
from enable.reports.queries.onboarding import onboarding
from tests.deals.makers import make_deal
from tests.factories import make_team, make_user
from tests.learning.factories import make_track
from tests.reports.pagetables import csv_rows, page_tables

URL = "/reports/onboarding"
TODAY = date(2024, 7, 1)  # every due day below has passed by then, as it has by the real today


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def assign(track, user, start: date, done: list[date], completed: date | None = None) -> Assignment:
    """An assignment with its first len(done) steps completed on those days, as sync_progress would record them."""
    a = Assignment(track=track, user=user, started_on=start, assigned_at=at(start, 8),
                   completed_at=at(completed, 18) if completed else None)
    db.session.add(a)
    db.session.flush()
    for step, day in zip(track.steps, done, strict=False):
        db.session.add(StepCompletion(assignment=a, step_id=step.id, completed_at=at(day)))
    db.session.flush()
    return a


@pytest.fixture
def cohort(app, users):
    """North (led by the manager): Ann, Bob and Dan (who left); South: Cid and Eve (no hire date). Two tracks of
    sign-off steps; certifications and won deals for the ramp. Returns ids."""
    with app.app_context():
        north = make_team(name="North", manager_id=users[Role.MANAGER])
        south = make_team(name="South")
        ann = make_user(name="Ann", email="ann@example.test", team_id=north.id, hired_on=date(2024, 1, 8))
        bob = make_user(name="Bob", email="bob@example.test", team_id=north.id, hired_on=date(2024, 2, 5))
        dan = make_user(name="Dan", email="dan@example.test", team_id=north.id, hired_on=date(2024, 1, 15),
                        is_active_account=False)
        cid = make_user(name="Cid", email="cid@example.test", team_id=south.id, hired_on=date(2024, 3, 4))
        eve = make_user(name="Eve", email="eve@example.test", team_id=south.id)
        first = make_track([(StepKind.SIGNOFF, f"Role-play {i}") for i in range(1, 5)], due=[3, 7, 14, None],
                           title="First 30 days")
        pricing = make_track([(StepKind.SIGNOFF, "Price talk"), (StepKind.SIGNOFF, "Discount talk")], due=[5, 10],
                             title="Pricing")
        # First 30 days (due 11, 15, 22 Jan and never for Ann): all done, finished on 25 Jan (17 days).
        assign(first, ann, date(2024, 1, 8), [date(2024, 1, 9), date(2024, 1, 12), date(2024, 1, 20),
                                              date(2024, 1, 25)], completed=date(2024, 1, 25))
        assign(first, bob, date(2024, 2, 5), [date(2024, 2, 6), date(2024, 2, 9)])  # step 3 overdue, 4 has no due
        assign(first, cid, date(2024, 3, 4), [])  # steps 1-3 overdue
        assign(first, dan, date(2024, 1, 15), [])  # left the company: not counted
        assign(pricing, ann, date(2024, 3, 1), [date(2024, 3, 4)])  # step 2 (due 11 Mar) overdue
        # Finished on 3 Feb with one step done: the second step was added later. A finished track owes nothing.
        assign(pricing, eve, date(2024, 2, 1), [date(2024, 2, 2)], completed=date(2024, 2, 3))

        cert = Certification(slug="pricing-cert", title="Pricing certified", valid_days=365)
        # Requires the first track, which Ann finished: a report that re-evaluated would award it (dated 25 Jan).
        onboarded = Certification(slug="onboarded", title="Onboarded", valid_days=365, requirements=[
            CertificationRequirement(kind=RequirementKind.TRACK, track_id=first.id)])
        db.session.add_all([cert, onboarded])
        for person, when in ((ann, datetime(2024, 2, 7, 10, tzinfo=UTC)), (ann, datetime(2024, 9, 1, tzinfo=UTC)),
                             (cid, datetime(2024, 4, 3, 23, tzinfo=UTC)), (dan, datetime(2024, 3, 15, tzinfo=UTC)),
                             (cid, datetime(2023, 11, 20, tzinfo=UTC))):  # before his hire: no part of his ramp
            db.session.add(CertificationAward(certification=cert, user=person, awarded_at=when,
                                              expires_at=when + timedelta(days=365), evidence={}))
        W, L = DealOutcome.WON, DealOutcome.LOST
        for owner, outcome, close_on in ((ann, L, date(2024, 2, 20)), (ann, W, date(2024, 4, 1)),
                                         (ann, W, date(2024, 3, 18)), (bob, W, date(2024, 5, 6)), (bob, W, None),
                                         (bob, DealOutcome.OPEN, date(2024, 3, 1)), (cid, L, date(2024, 3, 20)),
                                         (dan, W, date(2024, 2, 14)),
                                         (cid, W, date(2023, 11, 13))):  # won before he was hired: not his ramp
            make_deal(owner_id=owner.id, outcome=outcome, close_on=close_on)
        db.session.commit()
        return {"north": north.id, "south": south.id}


def test_progress_overdue_and_ramp_equal_hand_computed_values(app, cohort):
    with app.app_context():
        report = onboarding(Scope(), TODAY)
        first, pricing = report.tracks
        assert first.title == "First 30 days" and pricing.title == "Pricing"
        # Ann 4/4 finished, Bob 2/4 (1 overdue), Cid 0/4 (3 overdue); Dan's account is inactive.
        assert (first.assigned, first.completed, first.steps_done, first.steps_total) == (3, 1, 6, 12)
        assert (first.overdue, first.people_overdue, first.mean_days_to_complete) == (4, 2, 17.0)
        assert first.completed_share == pytest.approx(1 / 3) and first.steps_share == pytest.approx(0.5)
        # Ann 1/2 (1 overdue), Eve 1/2 but finished (none overdue, 2 days to complete).
        assert (pricing.assigned, pricing.completed, pricing.steps_done, pricing.steps_total) == (2, 1, 2, 4)
        assert (pricing.overdue, pricing.people_overdue, pricing.mean_days_to_complete) == (1, 1, 2.0)
        assert report.overdue == 5
        chart = report.chart()
        assert [b.width for b in chart.bars] == pytest.approx([chart.plot.width / 2] * 2)  # 50 % of a 0–100 % axis

        people = [(a.person, a.track, a.done, a.total, a.percent, a.overdue, a.completed_on)
                  for a in report.assignments]
        assert people == [("Ann", "First 30 days", 4, 4, 100, 0, date(2024, 1, 25)),
                          ("Ann", "Pricing", 1, 2, 50, 1, None),
                          ("Bob", "First 30 days", 2, 4, 50, 1, None),
                          ("Cid", "First 30 days", 0, 4, 0, 3, None),
                          ("Eve", "Pricing", 1, 2, 50, 0, date(2024, 2, 3))]

        ramp = [(r.name, r.hired_on, r.certified_on, r.days_to_certification, r.first_won_on, r.days_to_first_win)
                for r in report.ramp]
        assert ramp == [("Ann", date(2024, 1, 8), date(2024, 2, 7), 30, date(2024, 3, 18), 70),
                        ("Bob", date(2024, 2, 5), None, None, date(2024, 5, 6), 91),
                        ("Cid", date(2024, 3, 4), date(2024, 4, 3), 30, None, None),
                        ("Dan", date(2024, 1, 15), date(2024, 3, 15), 60, date(2024, 2, 14), 30)]
        cert, win = report.to_certification, report.to_first_win
        assert (cert.median, cert.mean, cert.n) == (30.0, 40.0, 3)  # 30, 30, 60
        assert (win.median, win.n) == (70.0, 3) and win.mean == pytest.approx(191 / 3)  # 70, 91, 30


def test_dates_choose_the_cohort_and_teams_narrow_it(app, cohort):
    with app.app_context():
        february = onboarding(Scope(date(2024, 2, 1), date(2024, 2, 29)), TODAY)
        assert [(a.person, a.track) for a in february.assignments] == [("Bob", "First 30 days"), ("Eve", "Pricing")]
        assert [r.name for r in february.ramp] == ["Bob"]
        south = onboarding(Scope(team_ids=frozenset({cohort["south"]})), TODAY)
        assert [(t.title, t.assigned, t.overdue) for t in south.tracks] == [("First 30 days", 1, 3), ("Pricing", 1, 0)]
        assert [r.name for r in south.ramp] == ["Cid"]


def test_the_report_reads_and_never_writes(app, login, cohort):
    def counts():
        with app.app_context():
            return (db.session.scalar(select(func.count(CertificationAward.id))),
                    db.session.scalar(select(func.count(StepCompletion.id))),
                    db.session.scalar(select(func.count(Assignment.id)).where(Assignment.completed_at.is_not(None))))

    before = counts()
    client = login(Role.ENABLEMENT)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}?format=csv&table=ramp").status_code == 200
    assert counts() == before  # Ann's "Onboarded" was not awarded behind the reader's back
    with app.app_context():
        report = onboarding(Scope(), TODAY)
        assert not (db.session.new or db.session.dirty or db.session.deleted)
        assert report.ramp[0].days_to_certification == 30


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def _page_and_csvs(client, url: str) -> tuple[str, dict[str, list[list[str]]]]:
    """The page and its tables, after checking that each table's CSV download holds exactly the same cells."""
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    tables = page_tables(html)
    assert set(tables) == {"tracks", "assignments", "ramp"}
    sep = "&" if "?" in url else "?"
    for name, shown in tables.items():
        assert csv_rows(client.get(f"{url}{sep}format=csv&table={name}")) == shown, name
    return html, tables


def test_page_and_csv_show_the_same_hand_computed_figures(login, cohort):
    html, tables = _page_and_csvs(login(Role.ENABLEMENT), URL)
    assert html.count('role="img"') == 3 and '<title id="onboarding-tracks-title">' in html
    assert "<title>First 30 days: 50.0%</title>" in html  # the chart's bar carries the table's figure
    assert ">100%</text>" in html  # percentages are drawn against the full 0–100 % axis
    assert "<title>Ann: 30</title>" in html and "<title>Bob: 91</title>" in html
    assert "style=" not in html.split("<main", 1)[1]
    assert _rows(tables["tracks"]) == [
        {"Track": "First 30 days", "Assigned": "3", "Completed": "1", "Completed %": "33.3", "Steps done": "6",
         "Steps assigned": "12", "Steps done %": "50.0", "Overdue steps": "4", "People with overdue steps": "2",
         "Avg days to complete": "17.0"},
        {"Track": "Pricing", "Assigned": "2", "Completed": "1", "Completed %": "50.0", "Steps done": "2",
         "Steps assigned": "4", "Steps done %": "50.0", "Overdue steps": "1", "People with overdue steps": "1",
         "Avg days to complete": "2.0"},
    ]
    bob = _rows(tables["assignments"])[2]
    assert bob == {"Person": "Bob", "Team": "North", "Track": "First 30 days", "Started on": "2024-02-05",
                   "Steps done": "2", "Steps": "4", "Progress %": "50", "Overdue steps": "1", "Completed on": ""}
    ramp = _rows(tables["ramp"])
    assert ramp[0] == {"Person": "Ann", "Team": "North", "Hired on": "2024-01-08", "First certified on": "2024-02-07",
                       "Days to first certification": "30", "First won deal closed on": "2024-03-18",
                       "Days to first won deal": "70"}
    assert ramp[1]["Days to first certification"] == "" and ramp[1]["Days to first won deal"] == "91"
    assert ">30.0</p>" in html and "median of 3 of 4 people hired; mean 40.0" in html


def test_team_filter_and_a_managers_own_team(login, cohort):
    _html, south = _page_and_csvs(login(Role.ENABLEMENT), f"{URL}?team={cohort['south']}")
    assert [r["Person"] for r in _rows(south["assignments"])] == ["Cid", "Eve"]
    assert [r["Person"] for r in _rows(south["ramp"])] == ["Cid"]

    manager = login(Role.MANAGER)
    html, own = _page_and_csvs(manager, URL)
    assert ">South</option>" not in html
    assert [(r["Person"], r["Track"]) for r in _rows(own["assignments"])] == [
        ("Ann", "First 30 days"), ("Ann", "Pricing"), ("Bob", "First 30 days")]
    assert [(r["Track"], r["Assigned"], r["Overdue steps"]) for r in _rows(own["tracks"])] == [
        ("First 30 days", "2", "1"), ("Pricing", "1", "1")]
    assert [r["Person"] for r in _rows(own["ramp"])] == ["Ann", "Bob", "Dan"]  # ramp keeps people who left
    refused = manager.get(f"{URL}?team={cohort['south']}&format=csv&table=ramp")
    assert [row[0] for row in csv_rows(refused)[1:]] == ["Ann", "Bob", "Dan"]


def test_reps_are_kept_out_and_the_report_is_listed(login, cohort):
    assert login(Role.REP).get(URL).status_code == 403
    assert login(Role.REP).get(f"{URL}?format=csv").status_code == 403
    html = login(Role.MANAGER).get("/reports/").get_data(as_text=True)
    assert "Onboarding" in html and 'href="/reports/onboarding"' in html


def test_an_empty_report_shows_empty_tables(login):
    html = login(Role.ENABLEMENT).get(URL).get_data(as_text=True)
    assert html.count("Nothing to show for these filters.") == 3
    assert html.count("No data to chart for these filters.") == 3
