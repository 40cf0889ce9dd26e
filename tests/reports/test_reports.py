"""Content usage, objections and search gaps: figures checked by hand, each CSV equal to the page, filters, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from enable.auth.models import Role, Team, User
from enable.deals.models import DealOutcome
from enable.extensions import db
from enable.search.models import SearchLog
from enable.usage import UsageKind
from tests.deals.makers import at, make_bite, make_call, make_deal, make_playbook, make_tag, tag_bite, use
from tests.factories import make_team
from tests.reports.pagetables import csv_rows, page_tables

MON = date(2024, 3, 4)  # a Monday
RANGE = "start=2024-03-01&end=2024-03-31"


@pytest.fixture
def teams(app, users):
    """North (the rep, led by the manager) and South (another rep); returns ids."""
    with app.app_context():
        north, south = make_team(name="North"), make_team(name="South")
        north.manager_id = users[Role.MANAGER]
        rep = db.session.get(User, users[Role.REP])
        rep.team_id = north.id
        other = User(email="south@example.test", name="Sam South", password_hash="x", role=Role.REP,
                     team_id=south.id)
        db.session.add(other)
        db.session.commit()
        return {"north": north.id, "south": south.id, "south_rep": other.id}


@pytest.fixture
def usage(app, users, teams):
    """Usage in March 2024 on a bite and a playbook; one playbook never used; one archived."""
    rep, south = users[Role.REP], teams["south_rep"]
    with app.app_context():
        bite = make_bite(make_call(title="Acme call"), title="Price answer")
        used = make_playbook(title="Discovery playbook")
        unused = make_playbook(title="Closing playbook")
        gone = make_playbook(title="Old playbook", archived_at=datetime(2024, 1, 1, tzinfo=UTC))
        use(rep, UsageKind.VIEW, "bite", bite.id, at(MON))
        use(rep, UsageKind.VIEW, "bite", bite.id, at(MON + timedelta(days=1)))
        use(south, UsageKind.VIEW, "bite", bite.id, at(MON + timedelta(days=2)))
        use(rep, UsageKind.PLAY, "bite", bite.id, at(MON + timedelta(days=7)))
        use(south, UsageKind.PLAYLIST_PLAY, "bite", bite.id, at(MON + timedelta(days=8)))
        use(rep, UsageKind.VIEW, "playbook", used.id, at(MON + timedelta(days=7)))
        use(rep, UsageKind.DOWNLOAD, "playbook", used.id, at(MON + timedelta(days=7)))
        use(rep, UsageKind.VIEW, "playbook", used.id, at(date(2024, 5, 1)))  # outside March
        db.session.commit()
        return {"bite": bite.id, "used": used.id, "unused": unused.id, "gone": gone.id}


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def _page_and_csvs(client, url: str) -> dict[str, list[list[str]]]:
    """Every table on the report page, after checking that its CSV download holds exactly the same cells."""
    page = client.get(url)
    assert page.status_code == 200
    tables = page_tables(page.get_data(as_text=True))
    assert tables
    for name, shown in tables.items():
        sep = "&" if "?" in url else "?"
        assert csv_rows(client.get(f"{url}{sep}format=csv&table={name}")) == shown, name
    return tables


def test_usage_report_counts_and_csv(app, login, usage):
    client = login(Role.ENABLEMENT)
    tables = _page_and_csvs(client, f"/reports/usage?{RANGE}")
    items = {r["Item"]: r for r in _rows(tables["items"])}
    assert list(items) == ["Price answer", "Discovery playbook"]  # most used first
    bite = items["Price answer"]
    assert (bite["Type"], bite["Views"], bite["Plays"], bite["Unique users"]) == ("Bite", "3", "2", "2")
    assert bite["Last used"] == "2024-03-12"
    playbook = items["Discovery playbook"]
    assert (playbook["Views"], playbook["Downloads"], playbook["Unique users"]) == ("1", "1", "1")
    weeks = _rows(tables["weeks"])
    assert [w["Week starting"] for w in weeks] == ["2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18",
                                                   "2024-03-25"]
    assert [(w["Views"], w["Plays"], w["Unique users"]) for w in weeks[1:3]] == [("3", "0", "2"), ("1", "2", "2")]
    unused = _rows(tables["unused"])
    assert unused == [{"Type": "Playbook", "Item": "Closing playbook"}]  # archived content is not listed


def test_usage_report_for_one_team_and_a_managers_own_team(app, login, usage, teams):
    client = login(Role.ENABLEMENT)
    south = {r["Item"]: r for r in _rows(_page_and_csvs(client, f"/reports/usage?{RANGE}&team={teams['south']}")
                                         ["items"])}
    assert list(south) == ["Price answer"]
    assert (south["Price answer"]["Views"], south["Price answer"]["Plays"]) == ("1", "1")
    manager = login(Role.MANAGER)
    page = manager.get(f"/reports/usage?{RANGE}").get_data(as_text=True)
    own = {r["Item"]: r for r in _rows(page_tables(page)["items"])}
    assert own["Price answer"]["Views"] == "2"  # the manager's team only
    assert ">South</option>" not in page
    refused = manager.get(f"/reports/usage?{RANGE}&team={teams['south']}").get_data(as_text=True)
    assert "Choose one of the listed teams." in refused
    assert _rows(page_tables(refused)["items"])[0]["Views"] == "2"  # still only the manager's team


def test_usage_report_filters_explain_bad_dates(login, usage):
    client = login(Role.ENABLEMENT)
    html = client.get("/reports/usage?start=2024-03-31&end=2024-03-01").get_data(as_text=True)
    assert "The end date is before the start date." in html
    html = client.get("/reports/usage?start=31.03.2024").get_data(as_text=True)
    assert 'class="field has-error"' in html


def test_usage_chart_is_accessible_svg_with_the_table_figures(login, usage):
    html = login(Role.ENABLEMENT).get(f"/reports/usage?{RANGE}").get_data(as_text=True)
    assert '<svg class="chart-svg"' in html and 'role="img"' in html
    assert 'aria-labelledby="usage-trend-title usage-trend-desc"' in html
    assert "<title>Views, 2024-03-04: 3</title>" in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles


@pytest.fixture
def objections(app, users, teams):
    """Three calls in January and February 2024: price in two (a won and a lost deal), timing in one (lost)."""
    with app.app_context():
        price, timing = make_tag("price", en="Price or budget", ru="Цена"), make_tag("timing", en="Timing")
        won = make_deal(outcome=DealOutcome.WON)
        lost = make_deal(outcome=DealOutcome.LOST)
        lost_too = make_deal(outcome=DealOutcome.LOST)
        for title, day, deal, tags in (("Jan call", date(2024, 1, 10), won, [price]),
                                       ("Feb call", date(2024, 2, 5), lost, [price, price]),
                                       ("Late Feb call", date(2024, 2, 20), lost_too, [timing])):
            call = make_call(title=title, call_date=day, deal_id=deal.id, team_id=teams["north"])
            for tag in tags:
                tag_bite(make_bite(call), tag)
        removed = make_bite(make_call(title="Mar call", call_date=date(2024, 3, 3), team_id=teams["north"]))
        tag_bite(removed, timing, removed=True)  # a person removed it: not counted
        db.session.commit()


def test_objections_report_counts_calls_per_month_and_win_rates(login, objections):
    client = login(Role.ENABLEMENT)
    tables = _page_and_csvs(client, "/reports/objections?start=2024-01-01&end=2024-03-31")
    rows = {r["Objection"]: r for r in _rows(tables["objections"])}
    assert list(rows) == ["Price or budget", "Timing"]
    price = rows["Price or budget"]
    assert (price["Calls"], price["Share of calls %"]) == ("2", "50.0")  # 2 of the 4 calls with bites
    assert (price["Closed deals with it"], price["Won with it"], price["Win rate with it %"]) == ("2", "1", "50.0")
    assert (price["Closed deals without it"], price["Win rate without it %"]) == ("1", "0.0")
    assert price["Note"].startswith("Too few closed deals")
    assert rows["Timing"]["Calls"] == "1" and rows["Timing"]["Win rate with it %"] == "0.0"
    months = _rows(tables["months"])
    assert months == [{"Month": "2024-01", "Price or budget": "1", "Timing": "0"},
                      {"Month": "2024-02", "Price or budget": "1", "Timing": "1"},
                      {"Month": "2024-03", "Price or budget": "0", "Timing": "0"}]


def test_objections_in_russian_use_the_russian_tag_names(app, login, objections):
    client = login(Role.ENABLEMENT)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "enablement@example.test"))
        user.locale = "ru"
        db.session.commit()
    html = client.get("/reports/objections?start=2024-01-01&end=2024-03-31").get_data(as_text=True)
    assert "Цена" in html


@pytest.fixture
def searches(app, users, teams):
    rep, south = users[Role.REP], teams["south_rep"]
    day = datetime(2024, 3, 10, 9, tzinfo=UTC)
    with app.app_context():
        for n, (user, query, results) in enumerate([
            (rep, "integration 1C", 0), (rep, "Integration  1c", 0), (south, "integration 1c", 0),
            (rep, "pricing", 10), (rep, "pricing", 1),  # the latest search found one: still a gap
            (rep, "demo", 2), (rep, "demo", 12),  # found plenty last time: not a gap
            (rep, "", 0),  # a filter-only search is no query
        ]):
            db.session.add(SearchLog(user_id=user, query=query, filters={}, result_count=results,
                                     created_at=day + timedelta(minutes=n)))
        db.session.commit()


def test_search_gaps_report_lists_frequent_queries_with_few_results(login, searches, teams):
    client = login(Role.ENABLEMENT)
    tables = _page_and_csvs(client, f"/reports/search-gaps?{RANGE}")
    gaps = _rows(tables["gaps"])
    assert [g["Query"] for g in gaps] == ["integration 1c", "pricing"]
    first = gaps[0]
    assert (first["Searches"], first["People"], first["Searches with no results"], first["Results last time"]) == (
        "3", "2", "3", "0")
    assert gaps[1]["Results last time"] == "1" and gaps[1]["Last searched"] == "2024-03-10"
    strict = _rows(page_tables(client.get(f"/reports/search-gaps?{RANGE}&few=0").get_data(as_text=True))["gaps"])
    assert [g["Query"] for g in strict] == ["integration 1c"]
    north = _rows(page_tables(client.get(f"/reports/search-gaps?{RANGE}&team={teams['north']}")
                              .get_data(as_text=True))["gaps"])
    assert north[0]["Searches"] == "2" and north[0]["People"] == "1"


def test_csv_export_neutralises_formulas_in_user_text(app, login, users):
    with app.app_context():
        db.session.add(SearchLog(user_id=users[Role.REP], query="=HYPERLINK(\"http://evil\")", filters={},
                                 result_count=0, created_at=datetime(2024, 3, 10, tzinfo=UTC)))
        db.session.commit()
    rows = csv_rows(login(Role.ENABLEMENT).get(f"/reports/search-gaps?{RANGE}&format=csv"))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"


def test_reports_page_lists_the_reports_and_reps_are_kept_out(login):
    html = login(Role.MANAGER).get("/reports/").get_data(as_text=True)
    for title in ("Content usage", "Deal influence", "Objections", "Search gaps"):
        assert title in html
    assert "You see the figures of the teams you lead." in html
    assert login(Role.REP).get("/reports/influence").status_code == 403
    assert login(Role.REP).get("/reports/influence?format=csv").status_code == 403


def test_unknown_csv_table_is_not_found(login):
    assert login(Role.ENABLEMENT).get("/reports/usage?format=csv&table=nope").status_code == 404


def test_home_panels_for_enablement_and_managers(app, login, users, teams):
    today = datetime.now(UTC).date()
    with app.app_context():
        bite = make_bite(make_call(), title="Fresh bite")
        use(users[Role.REP], UsageKind.PLAY, "bite", bite.id, at(today, 0))
        db.session.add(SearchLog(user_id=users[Role.REP], query="security questionnaire", filters={},
                                 result_count=0, created_at=at(today, 0)))
        make_deal(outcome=DealOutcome.WON, owner_id=users[Role.REP], close_on=today)
        make_deal(outcome=DealOutcome.LOST, owner_id=teams["south_rep"], close_on=today)
        make_deal(outcome=DealOutcome.OPEN, owner_id=users[Role.REP])
        db.session.commit()
    html = login(Role.ENABLEMENT).get("/").get_data(as_text=True)
    assert "Usage this week" in html and "Fresh bite" in html
    assert "security questionnaire" in html
    manager = login(Role.MANAGER).get("/").get_data(as_text=True)
    assert "Your team's deals" in manager
    assert '<span class="stat">1</span> won · <span class="stat">0</span> lost' in manager  # South is not theirs
    assert "1 open deals" in manager
    assert "Usage this week" not in manager
    with app.app_context():
        assert db.session.get(Team, teams["north"]).manager_id == users[Role.MANAGER]
