"""Demo deals: a Salesforce-style export of the last months, imported through the real import, and calls linked."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from sqlalchemy import select

from enable.auth.models import User
from enable.calls.models import Call
from enable.db import utcnow
from enable.deals.csv_import import parse_deals
from enable.deals.importing import import_deals
from enable.deals.jobs import reindex_calls
from enable.deals.models import Deal
from enable.demo import register_demo_step
from enable.extensions import db

DEMO_PREFIX = "DEMO-"
_ACCOUNTS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises",
             "Cyberdyne", "Soylent", "Tyrell", "Massive Dynamic", "Vandelay", "Northwind", "Contoso", "Fabrikam",
             "ООО «Ромашка»", "АО «Вектор»", "Tailspin Toys", "Litware", "Proseware"]
_PRODUCTS = ["platform", "analytics add-on", "renewal", "pilot", "expansion", "security review"]
_OPEN_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"]


def demo_deals_csv(today: date, owners: list[str], count: int = 40, seed: int = 7) -> bytes:
    """A Salesforce opportunities export of `count` deals created over the 150 days before today."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Opportunity ID", "Opportunity Name", "Account Name", "Amount", "Stage", "Close Date",
                     "Created Date", "Opportunity Owner", "Won", "Closed"])
    for n in range(1, count + 1):
        created = today - timedelta(days=rng.randint(20, 150))
        closes = created + timedelta(days=rng.randint(14, 90))
        is_closed = closes <= today and rng.random() < 0.85
        won = is_closed and rng.random() < 0.45
        stage = ("Closed Won" if won else "Closed Lost") if is_closed else rng.choice(_OPEN_STAGES)
        account = rng.choice(_ACCOUNTS)
        writer.writerow([f"{DEMO_PREFIX}{n:04d}", f"{account} {rng.choice(_PRODUCTS)}", account,
                         f"{rng.randint(5, 120) * 1000:,}.00", stage, f"{closes:%m/%d/%Y}", f"{created:%m/%d/%Y}",
                         owners[n % len(owners)], int(won), int(is_closed)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def load_demo_deals(users: dict[str, User]) -> str:
    """Import the demo deals and link unlinked calls to them; skipped when they exist."""
    if db.session.scalar(select(Deal.id).where(Deal.external_id.like(f"{DEMO_PREFIX}%")).limit(1)):
        return "already loaded"
    owners = [e for e in ("rep@example.test", "manager@example.test", "newhire@example.test") if e in users]
    result = parse_deals(demo_deals_csv(date.today(), owners + ["Ivan Petrov"]), "salesforce")
    outcome = import_deals(result, actor=None, now=utcnow())
    deals = list(db.session.scalars(select(Deal).where(Deal.external_id.like(f"{DEMO_PREFIX}%"))
                                    .order_by(Deal.external_id)))
    calls = list(db.session.scalars(select(Call).where(Call.deal_id.is_(None)).order_by(Call.id)))
    closed = [d for d in deals if d.outcome.value != "open"] or deals
    for i, call in enumerate(calls):
        call.deal_id = closed[i % len(closed)].id
    db.session.flush()
    if calls:
        # The links are flushed, not committed: index in this session rather than through the queue.
        reindex_calls.call_local([c.id for c in calls])
    return f"{outcome.summary()}; {len(calls)} calls linked to deals"


register_demo_step("deals", load_demo_deals)
