"""Conversation habits per rep over time: figures from the stats of real transcripts (the shipped sample calls), per
week and month, as the page, its CSV downloads, its chart and the JSON API show them; a manager sees their team."""

from __future__ import annotations

import json
from datetime import date

import pytest

from enable.api import tokens
from enable.auth.models import Role, User
from enable.calls.samples import SAMPLES_DIR
from enable.extensions import db
from enable.transcription.stats import conversation_stats
from enable.transcription.types import Transcript
from tests.deals.makers import make_call
from tests.reports.pagetables import page_tables
from tests.reports.test_reports import _page_and_csvs, _rows, teams  # noqa: F401 (fixture)

RANGE = "start=2024-03-01&end=2024-04-30"


def _stats(slug: str, rename: dict[str, str] | None = None) -> dict:
    """The figures of a shipped sample call's real transcript, computed as the pipeline does."""
    transcript = Transcript.from_dict(json.loads((SAMPLES_DIR / f"{slug}.json").read_text(encoding="utf-8")))
    for segment in transcript.segments:
        segment.speaker = (rename or {}).get(segment.speaker, segment.speaker)
    return conversation_stats(transcript.segments)


@pytest.fixture
def calls(app, users, teams):  # noqa: F811
    """North's rep: two March calls in one week and one in April; South's rep: one March call; plus calls that do not
    count (speakers not named, no rep, another month)."""
    rep, south = users[Role.REP], teams["south_rep"]
    with app.app_context():
        price, discovery = _stats("negotiation-price"), _stats("discovery-competitor")
        closing = _stats("closing-authority")
        make_call(title="Price", call_date=date(2024, 3, 4), rep_id=rep, team_id=teams["north"], stats=price)
        make_call(title="Discovery", call_date=date(2024, 3, 6), rep_id=rep, team_id=teams["north"],
                  stats=discovery)
        make_call(title="Closing", call_date=date(2024, 4, 2), rep_id=rep, team_id=teams["north"], stats=closing)
        make_call(title="South", call_date=date(2024, 3, 5), rep_id=south, team_id=teams["south"], stats=price)
        unnamed = _stats("negotiation-price", {"rep": "speaker1", "customer": "speaker2"})
        make_call(title="Unnamed", call_date=date(2024, 3, 7), rep_id=rep, team_id=teams["north"], stats=unnamed)
        make_call(title="No rep", call_date=date(2024, 3, 8), stats=price)
        make_call(title="May", call_date=date(2024, 5, 2), rep_id=rep, team_id=teams["north"], stats=closing)
        db.session.commit()
        return {"price": price, "discovery": discovery, "closing": closing}


def _mean(*values: float) -> float:
    return sum(values) / len(values)


def test_each_reps_figures_per_month_match_their_calls(login, calls):
    price, discovery, closing = calls["price"], calls["discovery"], calls["closing"]
    tables = _page_and_csvs(login(Role.ENABLEMENT), f"/reports/conversations?{RANGE}")
    reps = {r["Rep"]: r for r in _rows(tables["reps"])}
    assert set(reps) == {"Rep User", "Sam South"}
    rita = reps["Rep User"]
    assert rita["Calls"] == "3"
    assert rita["Rep's talk %"] == f"{_mean(*(s['talk_ratio']['rep'] for s in calls.values())) * 100:.1f}"
    assert rita["Questions by the rep per call"] == f"{_mean(*(s['questions']['rep'] for s in calls.values())):.1f}"
    assert rita["Questions by customers per call"] == \
        f"{_mean(*(s['questions']['customer'] for s in calls.values())):.1f}"
    assert rita["Rep's longest monologue (s)"] == f"{_mean(*(s['monologue_s']['rep'] for s in calls.values())):.1f}"
    assert rita["Interruptions by the rep per call"] == \
        f"{_mean(*(s['interruptions']['rep'] for s in calls.values())):.1f}"
    assert reps["Sam South"]["Rep's talk %"] == f"{price['talk_ratio']['rep'] * 100:.1f}"
    months = [(r["Month"], r["Rep"], r["Calls"], r["Rep's talk %"]) for r in _rows(tables["periods"])]
    assert months == [
        ("2024-03", "Rep User", "2", f"{_mean(price['talk_ratio']['rep'], discovery['talk_ratio']['rep']) * 100:.1f}"),
        ("2024-03", "Sam South", "1", f"{price['talk_ratio']['rep'] * 100:.1f}"),
        ("2024-04", "Rep User", "1", f"{closing['talk_ratio']['rep'] * 100:.1f}"),
    ]


def test_weekly_figures_a_chart_per_figure_and_calls_left_out(login, calls):
    client = login(Role.ENABLEMENT)
    page = client.get(f"/reports/conversations?{RANGE}&period=week&metric=patience_s").get_data(as_text=True)
    weeks = [(r["Week (from Monday)"], r["Rep"], r["Calls"]) for r in _rows(page_tables(page)["periods"])]
    assert weeks == [("2024-03-04", "Rep User", "2"), ("2024-03-04", "Sam South", "1"),
                     ("2024-04-01", "Rep User", "1")]
    patience = calls["closing"]["patience_s"]["rep"]
    assert f"<title>Rep User, 2024-04-01: {round(patience, 1)}</title>" in page  # the charted figure
    assert 'aria-labelledby="conversations-trend-title conversations-trend-desc"' in page
    assert '<option value="patience_s" selected>' in page and '<option value="week" selected>' in page
    panels = page.split("Speakers not named", 1)[1]
    assert '<p class="stat">1</p>' in panels.split("</section>", 1)[0]  # the call whose speakers are not named
    csv = client.get(f"/reports/conversations?{RANGE}&period=week&format=csv&table=periods")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "2024-03-04" in csv.get_data(as_text=True)


def test_a_manager_sees_their_team_only_and_the_api_agrees(app, login, calls, users):
    tables = _page_and_csvs(login(Role.MANAGER), f"/reports/conversations?{RANGE}")
    assert [r["Rep"] for r in _rows(tables["reps"])] == ["Rep User"]
    with app.app_context():
        _row, token = tokens.create_token(db.session.get(User, users[Role.MANAGER]), name="t",
                                          scope=tokens.TokenScope.READ)
        db.session.commit()
    body = app.test_client().get(f"/api/v1/reports/conversation-habits?{RANGE}&period=week",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    reps = next(t for t in body["tables"] if t["name"] == "reps")
    assert [row[0] for row in reps["rows"]] == ["Rep User"]
    periods = next(t for t in body["tables"] if t["name"] == "periods")
    assert [row[0] for row in periods["rows"]] == ["2024-03-04", "2024-04-01"]


def test_a_bad_period_or_figure_falls_back_to_the_defaults(login, calls):
    page = login(Role.ENABLEMENT).get(f"/reports/conversations?{RANGE}&period=decade&metric=x")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option value="month" selected>' in html and '<option value="talk_ratio" selected>' in html
