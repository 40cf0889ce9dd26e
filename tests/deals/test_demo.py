"""The demo steps: deals imported through the real import, four months of usage and searches; safe to rerun."""

from __future__ import annotations

from sqlalchemy import func, select

from enable.deals.demo import load_demo_deals
from enable.deals.models import Deal, DealOutcome
from enable.demo import ensure_demo_users
from enable.extensions import db
from enable.reports.demo import load_demo_usage
from enable.reports.filters import Scope
from enable.reports.queries.influence import deal_influence
from enable.reports.queries.search_gaps import search_gaps
from enable.reports.queries.usage import content_usage
from enable.usage import UsageEvent
from tests.deals.makers import make_bite, make_call, make_playbook


def test_demo_deals_and_usage_fill_the_reports_once(app):
    with app.app_context():
        users = ensure_demo_users()
        call = make_call(title="Northwind: revised quote and price objection")  # a sample call of calls.yaml
        stranger = make_call(title="A call the samples do not list")
        for _n in range(3):
            make_bite(call)
        for title in ("Discovery", "Demo", "Negotiation", "Closing"):
            make_playbook(title=title)
        db.session.commit()

        assert load_demo_deals(users) == ("created 40, updated 0, unchanged 0, rejected 0; "
                                          "1 calls linked to their accounts' deals")
        db.session.commit()
        deals = list(db.session.scalars(select(Deal)))
        assert len(deals) == 40 and {d.outcome for d in deals} == set(DealOutcome)
        assert {d.owner.email for d in deals if d.owner} >= {"rep@example.test", "manager@example.test"}
        deal = db.session.get(type(call), call.id).deal
        # Its own account's deal, its rep's, opened before the call: never another company's.
        assert deal.account == "Northwind" and deal.owner.email == "rep@example.test"
        assert db.session.get(type(call), stranger.id).deal_id is None
        samples = {d.account for d in deals if d.external_id <= "DEMO-0006"}
        assert samples == {"Northwind", "Contoso", "Fabrikam", "Tailspin Toys", "ООО «Ромашка»", "АО «Вектор»"}
        assert not samples & {d.account for d in deals if d.external_id > "DEMO-0006"}

        assert "usage events" in load_demo_usage(users)
        db.session.commit()
        today = db.session.scalar(select(func.max(UsageEvent.created_at))).date()
        usage = content_usage(Scope(), today)
        assert usage.views > 0 and usage.plays > 0 and usage.never_used
        assert len(usage.weeks) >= 17  # about four months of weeks
        assert deal_influence(Scope()).items
        assert search_gaps(Scope()).gaps

        events = db.session.scalar(select(func.count(UsageEvent.id)))
        assert load_demo_deals(users) == "already loaded"
        assert load_demo_usage(users) == "already loaded"
        db.session.commit()
        assert db.session.scalar(select(func.count(UsageEvent.id))) == events
        assert db.session.scalar(select(func.count(Deal.id))) == 40


def test_demo_usage_waits_for_content(app):
    with app.app_context():
        users = ensure_demo_users()
        assert load_demo_usage(users).startswith("skipped")
        assert db.session.scalar(select(func.count(UsageEvent.id))) == 0
