"""Deal influence: figures and Wilson intervals equal values worked out by hand on a small fixture."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enable.auth.models import Role
from enable.deals.models import DealOutcome
from enable.extensions import db
from enable.reports.filters import Scope
from enable.reports.queries.influence import deal_influence
from enable.usage import UsageKind
from tests.deals.makers import at, make_bite, make_call, make_deal, make_playbook, use
from tests.factories import make_team, make_user
from tests.reports.pagetables import csv_rows, page_tables

W, L = DealOutcome.WON, DealOutcome.LOST
CLOSE = date(2024, 3, 1)

# 95% Wilson intervals worked out from the formula, independently of the code under test
# (z = 1.959964, z² = 3.841459; centre = (p + z²/2n) / (1 + z²/n); half = z·√(p(1-p)/n + z²/4n²) / (1 + z²/n)):
#   3 of 5:  centre 0.556552, half 0.325827 -> (0.230724, 0.882379)
#   2 of 7:  centre 0.361642, half 0.279423 -> (0.082219, 0.641066)
#   1 of 1:  centre 0.603275, half 0.396725 -> (0.206549, 1.0)
#   4 of 11: centre 0.398932, half 0.247267 -> (0.151665, 0.646199)
HAND = {(3, 5): (0.230724, 0.882379), (2, 7): (0.082219, 0.641066), (1, 1): (0.206549, 1.0),
        (4, 11): (0.151665, 0.646199)}


def build(owner_id: int) -> dict[str, int]:
    """Twelve closed deals and one open one; a playbook used on five of them, a bite played from one deal's page."""
    used = [(W, 10_000, 10), (W, 20_000, 20), (W, 30_000, 30), (L, 40_000, 40), (L, 50_000, 50)]
    not_used = [(W, 5_000, 5), (W, 10_000, 15), (L, 15_000, 25), (L, 20_000, 35), (L, 25_000, 45), (L, 30_000, 55)]
    playbook = make_playbook(title="Pricing playbook")
    bite = make_bite(make_call(title="Acme discovery"), title="Budget answer")
    deals = []
    for outcome, units, days in used + not_used:
        deals.append(make_deal(outcome=outcome, amount_cents=units * 100, currency="USD", owner_id=owner_id,
                               close_on=CLOSE, created_on=CLOSE - timedelta(days=days)))
    # A lost deal in euros: counted in win rates and days, left out of the dollar averages.
    deals.append(make_deal(outcome=L, amount_cents=9_999_900, currency="EUR", owner_id=owner_id, close_on=CLOSE,
                           created_on=CLOSE - timedelta(days=65)))
    open_deal = make_deal(outcome=DealOutcome.OPEN, owner_id=owner_id, close_on=CLOSE)
    for deal in deals[:5]:
        use(owner_id, UsageKind.USED_ON_DEAL, "playbook", playbook.id, at(CLOSE), deal_id=deal.id)
    use(owner_id, UsageKind.VIEW, "playbook", playbook.id, at(CLOSE), deal_id=deals[0].id)  # no double count
    use(owner_id, UsageKind.USED_ON_DEAL, "playbook", playbook.id, at(CLOSE), deal_id=open_deal.id)  # open: ignored
    use(owner_id, UsageKind.PLAY, "bite", bite.id, at(CLOSE), deal_id=deals[0].id)
    use(owner_id, UsageKind.PLAY, "bite", bite.id, at(CLOSE))  # a play from elsewhere is not "on a deal"
    return {"playbook": playbook.id, "bite": bite.id}


def test_influence_figures_and_intervals_equal_hand_computed_values(app, users):
    with app.app_context():
        build(users[Role.REP])
        db.session.commit()
        report = deal_influence(Scope())
        assert (report.all_closed.n, report.all_closed.won, report.currency, report.other_currency) == (12, 5, "USD", 1)
        playbook, bite = report.items  # most deals first
        assert playbook.title == "Pricing playbook" and bite.title == "Budget answer"

        u, n = playbook.used, playbook.not_used
        assert (u.n, u.won, n.n, n.won) == (5, 3, 7, 2)
        assert u.rate == pytest.approx(0.6) and n.rate == pytest.approx(2 / 7)
        assert (u.low, u.high) == pytest.approx(HAND[(3, 5)], abs=1e-6)
        assert (n.low, n.high) == pytest.approx(HAND[(2, 7)], abs=1e-6)
        assert playbook.comparison.diff == pytest.approx(0.6 - 2 / 7)
        assert u.mean_amount_cents == pytest.approx(3_000_000)  # (10+20+30+40+50)k / 5
        assert n.mean_amount_cents == pytest.approx(1_750_000) and n.amount_n == 6  # the euro deal left out
        assert u.mean_days == pytest.approx(30.0)  # (10+20+30+40+50) / 5
        assert n.mean_days == pytest.approx(35.0)  # (5+15+25+35+45+55+65) / 7 = 245 / 7
        assert playbook.note.startswith("Too few closed deals to conclude anything (5 and 7")

        assert (bite.used.n, bite.used.won, bite.not_used.n, bite.not_used.won) == (1, 1, 11, 4)
        assert (bite.used.low, bite.used.high) == pytest.approx(HAND[(1, 1)], abs=1e-6)
        assert (bite.not_used.low, bite.not_used.high) == pytest.approx(HAND[(4, 11)], abs=1e-6)


def test_enough_deals_and_separate_intervals_say_so(app, users):
    with app.app_context():
        playbook = make_playbook(title="Battlecard")
        for i in range(40):
            won = i < 18 if i < 20 else i < 24  # used: 18 of 20 won; not used: 4 of 20 won
            deal = make_deal(outcome=W if won else L, close_on=CLOSE)
            if i < 20:
                use(users[Role.REP], UsageKind.USED_ON_DEAL, "playbook", playbook.id, at(CLOSE), deal_id=deal.id)
        db.session.commit()
        item = deal_influence(Scope()).items[0]
        assert (item.used.n, item.used.won, item.not_used.n, item.not_used.won) == (20, 18, 20, 4)
        assert item.comparison.enough_data
        assert item.note == "The intervals do not overlap: a real difference, though not proof of cause."


def test_dates_and_teams_narrow_the_deals(app, users):
    with app.app_context():
        north, south = make_team(name="North"), make_team(name="South")
        alice = make_user(email="alice@example.test", team_id=north.id)
        bob = make_user(email="bob@example.test", team_id=south.id)
        playbook = make_playbook()
        early = make_deal(outcome=W, owner_id=alice.id, close_on=date(2024, 1, 15))
        late = make_deal(outcome=L, owner_id=alice.id, close_on=date(2024, 6, 15))
        southern = make_deal(outcome=W, owner_id=bob.id, close_on=date(2024, 1, 20))
        for deal in (early, late, southern):
            use(alice.id, UsageKind.USED_ON_DEAL, "playbook", playbook.id, at(date(2024, 1, 1)), deal_id=deal.id)
        db.session.commit()
        assert deal_influence(Scope()).all_closed.n == 3
        north_only = deal_influence(Scope(team_ids=frozenset({north.id})))
        assert (north_only.all_closed.n, north_only.items[0].used.n) == (2, 2)
        january = deal_influence(Scope(date(2024, 1, 1), date(2024, 1, 31)))
        assert (january.all_closed.n, january.all_closed.won) == (2, 2)


def test_influence_page_and_csv_show_the_same_figures(app, users, login):
    with app.app_context():
        ids = build(users[Role.REP])
        db.session.commit()
    client = login(Role.ENABLEMENT)
    page = client.get("/reports/influence")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'role="img"' in html and "<title id=\"influence-chart-title\">" in html
    shown = page_tables(html)["items"]
    downloaded = csv_rows(client.get("/reports/influence?format=csv&table=items"))
    assert downloaded == shown
    header, playbook_row, bite_row = downloaded
    row = dict(zip(header, playbook_row, strict=True))
    assert row["Item"] == "Pricing playbook"
    assert (row["Deals used"], row["Won used"], row["Win rate used %"]) == ("5", "3", "60.0")
    assert (row["95% CI low used %"], row["95% CI high used %"]) == ("23.1", "88.2")
    assert (row["Deals not used"], row["Won not used"], row["Win rate not used %"]) == ("7", "2", "28.6")
    assert (row["95% CI low not used %"], row["95% CI high not used %"]) == ("8.2", "64.1")
    assert row["Difference (points)"] == "31.4"
    assert (row["Avg amount used (USD)"], row["Avg amount not used (USD)"]) == ("30000.00", "17500.00")
    assert (row["Avg days to close used"], row["Avg days to close not used"]) == ("30.0", "35.0")
    assert row["Note"].startswith("Too few closed deals")
    assert f'href="/playbooks/{ids["playbook"]}">Pricing playbook</a>' in html
    bite = dict(zip(header, bite_row, strict=True))
    assert (bite["Deals used"], bite["Win rate used %"], bite["95% CI low used %"]) == ("1", "100.0", "20.7")
