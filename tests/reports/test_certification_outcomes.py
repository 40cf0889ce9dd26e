"""Certification and outcomes: who counts as certified on a deal's day, figures and Wilson intervals equal values
worked out by hand, the CSV equals the page, and the team filter and a manager's scope narrow the deals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from enable.auth.models import Role, User
from enable.deals.models import DealOutcome
from enable.extensions import db
from enable.learning.models import Certification, CertificationAward
from enable.reports.filters import Scope
from enable.reports.queries.certification import certification_outcomes, holds
from tests.deals.makers import make_deal
from tests.factories import make_team, make_user
from tests.reports.pagetables import csv_rows, page_tables

W, L, OPEN = DealOutcome.WON, DealOutcome.LOST, DealOutcome.OPEN
URL = "/reports/certification-outcomes"

# 95% Wilson intervals worked out from the formula, independently of the code under test
# (z = 1.959964, z² = 3.841459; centre = (p + z²/2n) / (1 + z²/n); half = z·√(p(1-p)/n + z²/4n²) / (1 + z²/n)):
HAND = {
    (4, 6): (0.299993, 0.903229),  # centre 0.601611, half 0.301618
    (3, 7): (0.158220, 0.749542),  # centre 0.453881, half 0.295661
    (3, 4): (0.300642, 0.954413),  # centre 0.627527, half 0.326885
    (4, 9): (0.188779, 0.733349),  # centre 0.461064, half 0.272285
    (1, 2): (0.094531, 0.905469),  # centre 0.5, half 0.405469
    (6, 11): (0.280092, 0.787287),  # centre 0.533689, half 0.253598
    (1, 3): (0.061492, 0.792340),  # centre 0.426916, half 0.365424
    (2, 4): (0.150039, 0.849961),  # centre 0.5, half 0.349961
    (2, 3): (0.207660, 0.938508),  # centre 0.573084, half 0.365424
}


def award(cert: Certification, user: User, awarded: datetime, days: int) -> CertificationAward:
    row = CertificationAward(certification=cert, user=user, awarded_at=awarded,
                             expires_at=awarded + timedelta(days=days), evidence={})
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def outcomes(app, users):
    """Ann and Bob in North (led by the manager), Cid in South; Ann holds Pricing with a lapse before renewing,
    Bob holds Discovery; thirteen dated closed deals, open deals, and deals left out. Returns ids."""
    with app.app_context():
        north = make_team(name="North", manager_id=users[Role.MANAGER])
        south = make_team(name="South")
        ann = make_user(name="Ann", email="ann@example.test", team_id=north.id)
        bob = make_user(name="Bob", email="bob@example.test", team_id=north.id)
        cid = make_user(name="Cid", email="cid@example.test", team_id=south.id)
        pricing = Certification(slug="pricing", title="Pricing certified", valid_days=100)
        discovery = Certification(slug="discovery", title="Discovery certified", valid_days=365)
        db.session.add_all([pricing, discovery])
        # Pricing: 10:00 on 10 Jan to 10:00 on 19 Apr; renewed at 09:00 on 1 May (a lapse of 12 days between).
        award(pricing, ann, datetime(2024, 1, 10, 10, tzinfo=UTC), 100)
        award(pricing, ann, datetime(2024, 5, 1, 9, tzinfo=UTC), 100)
        award(discovery, bob, datetime(2024, 3, 15, 15, tzinfo=UTC), 365)

        def deal(owner, outcome, close_on=None, units=None, created_on=None, **kw):
            return make_deal(owner_id=owner.id if owner else None, outcome=outcome, close_on=close_on,
                             created_on=created_on, amount_cents=units * 100 if units else None, currency="USD",
                             **kw)

        deal(ann, W, date(2024, 1, 9), 1000)  # the day before the award: not certified
        deal(ann, W, date(2024, 1, 10), 2000)  # awarded that day: certified
        deal(ann, L, date(2024, 2, 1))  # certified
        deal(ann, W, date(2024, 4, 18), 3000)  # the last full day: certified
        deal(ann, L, date(2024, 4, 19))  # expired during that day: not certified
        deal(ann, W, date(2024, 4, 25), 4000)  # the lapse before renewal: not certified
        deal(ann, W, date(2024, 5, 1), 5000)  # renewed that day: certified
        deal(bob, L, date(2024, 3, 14))  # not certified
        deal(bob, W, date(2024, 3, 15), 6000)  # certified (Discovery)
        deal(bob, L, date(2024, 6, 1))  # certified (Discovery)
        deal(cid, W, date(2024, 2, 10), 1500)
        deal(cid, L, date(2024, 2, 11))
        deal(cid, L, date(2024, 3, 1))
        deal(ann, OPEN, created_on=date(2024, 2, 15))  # open, created while certified
        deal(cid, OPEN, created_on=date(2024, 2, 15))  # open, not certified
        deal(ann, OPEN)  # open without a created date: left out
        deal(bob, L)  # lost without a close date: left out
        deal(None, W, date(2024, 2, 1), 9000, owner_name="Zed Unknown")  # no owner in Enable: left out
        db.session.commit()
        return {"north": north.id, "south": south.id, "pricing": pricing.id, "discovery": discovery.id}


def test_a_certification_is_held_from_its_award_to_its_expiry_judged_at_the_end_of_the_day(app, users):
    with app.app_context():
        cert = Certification(slug="c", title="C", valid_days=100)
        db.session.add(cert)
        row = award(cert, db.session.get(User, users[Role.REP]), datetime(2024, 1, 10, 10, tzinfo=UTC), 100)
        assert row.expires_at == datetime(2024, 4, 19, 10, tzinfo=UTC)
        assert [holds(row, day) for day in (date(2024, 1, 9), date(2024, 1, 10), date(2024, 4, 18),
                                            date(2024, 4, 19))] == [False, True, True, False]
        late = award(cert, db.session.get(User, users[Role.REP]), datetime(2024, 6, 1, 23, 59, tzinfo=UTC), 1)
        assert holds(late, date(2024, 6, 1)) and not holds(late, date(2024, 6, 2))


def test_figures_and_intervals_equal_hand_computed_values(app, outcomes):
    with app.app_context():
        report = certification_outcomes(Scope())
        assert [r.title for r in report.rows] == ["Any certification", "Discovery certified", "Pricing certified"]
        assert (report.currency, report.no_owner, report.undated, report.other_currency) == ("USD", 1, 2, 0)

        any_cert, discovery, pricing = report.rows
        c, n = any_cert.certified, any_cert.not_certified
        assert (c.n, c.won, n.n, n.won) == (6, 4, 7, 3)
        assert (c.low, c.high) == pytest.approx(HAND[(4, 6)], abs=1e-6)
        assert (n.low, n.high) == pytest.approx(HAND[(3, 7)], abs=1e-6)
        assert any_cert.comparison.diff == pytest.approx(4 / 6 - 3 / 7)
        # Deal size: the won deals' mean amount, (2000 + 3000 + 5000 + 6000) / 4 and (1000 + 4000 + 1500) / 3.
        assert any_cert.won_certified.mean_amount_cents == pytest.approx(400_000)
        assert any_cert.won_not_certified.mean_amount_cents == pytest.approx(650_000 / 3)
        assert (any_cert.open_certified, any_cert.open_not_certified) == (1, 1)
        assert any_cert.note == ("Too few closed deals to conclude anything (6 and 7; at least 10 each are needed).")

        assert (pricing.certified.n, pricing.certified.won, pricing.not_certified.n, pricing.not_certified.won) == (
            4, 3, 9, 4)
        assert (pricing.certified.low, pricing.certified.high) == pytest.approx(HAND[(3, 4)], abs=1e-6)
        assert (pricing.not_certified.low, pricing.not_certified.high) == pytest.approx(HAND[(4, 9)], abs=1e-6)
        assert (discovery.certified.n, discovery.certified.won, discovery.not_certified.n,
                discovery.not_certified.won) == (2, 1, 11, 6)
        assert (discovery.certified.low, discovery.certified.high) == pytest.approx(HAND[(1, 2)], abs=1e-6)
        assert (discovery.not_certified.low, discovery.not_certified.high) == pytest.approx(HAND[(6, 11)], abs=1e-6)
        assert (discovery.open_certified, discovery.open_not_certified) == (0, 2)

        reps = {r.name: r for r in report.reps}
        assert list(reps) == ["Ann", "Bob", "Cid"]
        ann = reps["Ann"]
        assert (ann.closed_certified, ann.won_certified, ann.closed_not_certified, ann.won_not_certified,
                ann.open_deals, ann.first_certified_on) == (4, 3, 3, 2, 1, date(2024, 1, 10))
        assert (reps["Cid"].closed_not_certified, reps["Cid"].first_certified_on) == (3, None)


def test_dates_and_teams_narrow_the_deals(app, outcomes):
    with app.app_context():
        spring = certification_outcomes(Scope(date(2024, 4, 1), date(2024, 6, 30))).overall
        # Closed 1 Apr – 30 Jun: 18 Apr won, 1 May won, 1 Jun lost certified; 19 Apr lost, 25 Apr won not.
        assert (spring.certified.n, spring.certified.won, spring.not_certified.n, spring.not_certified.won) == (
            3, 2, 2, 1)
        assert (spring.certified.low, spring.certified.high) == pytest.approx(HAND[(2, 3)], abs=1e-6)
        assert (spring.open_certified, spring.open_not_certified) == (0, 0)  # both created in February
        south = certification_outcomes(Scope(team_ids=frozenset({outcomes["south"]})))
        s = south.overall
        assert (s.certified.n, s.not_certified.n, s.not_certified.won, s.open_not_certified) == (0, 3, 1, 1)
        assert (s.not_certified.low, s.not_certified.high) == pytest.approx(HAND[(1, 3)], abs=1e-6)
        assert s.certified.rate is None and s.comparison.diff is None
        assert (south.no_owner, south.undated) == (0, 0)


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def _page_and_csvs(client, url: str) -> tuple[str, dict[str, list[list[str]]]]:
    """The page and its tables, after checking that each table's CSV download holds exactly the same cells."""
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    tables = page_tables(html)
    assert set(tables) == {"certifications", "reps"}
    sep = "&" if "?" in url else "?"
    for name, shown in tables.items():
        assert csv_rows(client.get(f"{url}{sep}format=csv&table={name}")) == shown, name
    return html, tables


def test_page_and_csv_show_the_same_hand_computed_figures(login, outcomes):
    html, tables = _page_and_csvs(login(Role.ENABLEMENT), URL)
    assert 'role="img"' in html and '<title id="certification-chart-title">' in html
    assert "style=" not in html.split("<main", 1)[1]
    assert "at the end of the deal's day" in html  # the definition is on the page
    assert "whose owner is not a person in Enable (1), and deals without the date that decides (2)" in html
    assert "Average won deal 4,000.00 USD (4 won deals with an amount)" in html
    assert "Average won deal 2,166.67 USD (3 won deals with an amount)" in html
    rows = {r["Certification"]: r for r in _rows(tables["certifications"])}
    assert list(rows) == ["Any certification", "Discovery certified", "Pricing certified"]
    any_cert = rows["Any certification"]
    assert (any_cert["Closed deals certified"], any_cert["Won certified"], any_cert["Win rate certified %"]) == (
        "6", "4", "66.7")
    assert (any_cert["95% CI low certified %"], any_cert["95% CI high certified %"]) == ("30.0", "90.3")
    assert (any_cert["Closed deals not certified"], any_cert["Won not certified"],
            any_cert["Win rate not certified %"]) == ("7", "3", "42.9")
    assert (any_cert["95% CI low not certified %"], any_cert["95% CI high not certified %"]) == ("15.8", "75.0")
    assert any_cert["Difference (points)"] == "23.8"
    assert (any_cert["Avg won deal certified (USD)"], any_cert["Won deals with amount certified"]) == ("4000.00", "4")
    assert (any_cert["Avg won deal not certified (USD)"], any_cert["Won deals with amount not certified"]) == (
        "2166.67", "3")
    assert (any_cert["Open deals certified"], any_cert["Open deals not certified"]) == ("1", "1")
    assert any_cert["Note"].startswith("Too few closed deals")
    pricing = rows["Pricing certified"]
    assert (pricing["Win rate certified %"], pricing["95% CI low certified %"], pricing["95% CI high certified %"]) == (
        "75.0", "30.1", "95.4")
    assert _rows(tables["reps"]) == [
        {"Owner": "Ann", "Team": "North", "Closed deals certified": "4", "Won certified": "3",
         "Closed deals not certified": "3", "Won not certified": "2", "Open deals": "1",
         "First certified on": "2024-01-10"},
        {"Owner": "Bob", "Team": "North", "Closed deals certified": "2", "Won certified": "1",
         "Closed deals not certified": "1", "Won not certified": "0", "Open deals": "0",
         "First certified on": "2024-03-15"},
        {"Owner": "Cid", "Team": "South", "Closed deals certified": "0", "Won certified": "0",
         "Closed deals not certified": "3", "Won not certified": "1", "Open deals": "1", "First certified on": ""},
    ]


def test_team_filter_and_a_managers_own_team(login, outcomes):
    client = login(Role.ENABLEMENT)
    _html, south = _page_and_csvs(client, f"{URL}?team={outcomes['south']}")
    assert [r["Owner"] for r in _rows(south["reps"])] == ["Cid"]
    any_south = _rows(south["certifications"])[0]
    assert (any_south["Closed deals certified"], any_south["Closed deals not certified"],
            any_south["95% CI low not certified %"], any_south["95% CI high not certified %"]) == (
        "0", "3", "6.1", "79.2")

    manager = login(Role.MANAGER)
    html, own = _page_and_csvs(manager, URL)
    assert ">South</option>" not in html
    assert [r["Owner"] for r in _rows(own["reps"])] == ["Ann", "Bob"]
    mine = _rows(own["certifications"])[0]
    # North only: certified 6 (4 won) as before; not certified 9 Jan won, 19 Apr lost, 25 Apr won, 14 Mar lost.
    assert (mine["Closed deals not certified"], mine["Won not certified"], mine["95% CI low not certified %"],
            mine["95% CI high not certified %"]) == ("4", "2", "15.0", "85.0")
    refused = manager.get(f"{URL}?team={outcomes['south']}").get_data(as_text=True)
    assert "Choose one of the listed teams." in refused
    assert [r["Owner"] for r in _rows(page_tables(refused)["reps"])] == ["Ann", "Bob"]
    csv_south = csv_rows(manager.get(f"{URL}?team={outcomes['south']}&format=csv&table=reps"))
    assert [row[0] for row in csv_south[1:]] == ["Ann", "Bob"]  # the download is scoped the same way


def test_reps_are_kept_out_and_the_report_is_listed(login, outcomes):
    assert login(Role.REP).get(URL).status_code == 403
    assert login(Role.REP).get(f"{URL}?format=csv").status_code == 403
    html = login(Role.MANAGER).get("/reports/").get_data(as_text=True)
    assert "Certification and outcomes" in html and 'href="/reports/certification-outcomes"' in html


def test_an_empty_report_says_so_without_failing(login):
    html = login(Role.ENABLEMENT).get(URL).get_data(as_text=True)
    assert "Too few closed deals to conclude anything (0 and 0" in html
    assert "Nothing to show for these filters." in html
