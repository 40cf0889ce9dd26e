"""Demo deals: a Salesforce-style export of the last months, imported through the real import, and calls linked."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select

from enable.auth.models import User
from enable.calls.models import Call
from enable.calls.samples import SampleCall, sample_calls
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


def demo_deals_csv(today: date, owners: list[str], count: int = 40, seed: int = 7,
                   samples: Sequence[SampleCall] = ()) -> bytes:
    """A Salesforce opportunities export of `count` deals created over the 150 days before today.

    The first deals are the sample calls' own, one per call: its account, its rep, opened three weeks before the
    call and closed (won or lost) a few days after it, or still open when that day has not come.
    """
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Opportunity ID", "Opportunity Name", "Account Name", "Amount", "Stage", "Close Date",
                     "Created Date", "Opportunity Owner", "Won", "Closed"])
    for n, sample in enumerate(samples, start=1):
        on = sample.call_date or today
        created, closes = on - timedelta(days=21), on + timedelta(days=3)
        is_closed = closes <= today
        won = is_closed and n % 3 != 0
        stage = ("Closed Won" if won else "Closed Lost") if is_closed else "Negotiation/Review"
        writer.writerow([f"{DEMO_PREFIX}{n:04d}", f"{sample.account} {rng.choice(_PRODUCTS)}", sample.account,
                         f"{rng.randint(5, 120) * 1000:,}.00", stage, f"{closes:%m/%d/%Y}", f"{created:%m/%d/%Y}",
                         sample.rep_email or owners[n % len(owners)], int(won), int(is_closed)])
    others = [a for a in _ACCOUNTS if a not in {s.account for s in samples}]
    for n in range(len(samples) + 1, count + 1):
        created = today - timedelta(days=rng.randint(20, 150))
        closes = created + timedelta(days=rng.randint(14, 90))
        is_closed = closes <= today and rng.random() < 0.85
        won = is_closed and rng.random() < 0.45
        stage = ("Closed Won" if won else "Closed Lost") if is_closed else rng.choice(_OPEN_STAGES)
        account = rng.choice(others)
        writer.writerow([f"{DEMO_PREFIX}{n:04d}", f"{account} {rng.choice(_PRODUCTS)}", account,
                         f"{rng.randint(5, 120) * 1000:,}.00", stage, f"{closes:%m/%d/%Y}", f"{created:%m/%d/%Y}",
                         owners[n % len(owners)], int(won), int(is_closed)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def load_demo_deals(users: dict[str, User]) -> str:
    """Import the demo deals and link each sample call to its own account's deal; skipped when they exist.

    A call whose account is unknown stays without a deal: a deal of another company would make its reports wrong.
    """
    if db.session.scalar(select(Deal.id).where(Deal.external_id.like(f"{DEMO_PREFIX}%")).limit(1)):
        return "already loaded"
    owners = [e for e in ("rep@example.test", "manager@example.test", "newhire@example.test") if e in users]
    samples = sample_calls()
    result = parse_deals(demo_deals_csv(date.today(), owners + ["Ivan Petrov"], samples=samples), "salesforce")
    outcome = import_deals(result, actor=None, now=utcnow())
    own_deal = {s.title: f"{DEMO_PREFIX}{n:04d}" for n, s in enumerate(samples, start=1)}
    deals = {d.external_id: d for d in db.session.scalars(select(Deal).where(Deal.external_id.in_(own_deal.values())))}
    calls = [c for c in db.session.scalars(select(Call).where(Call.deal_id.is_(None)).order_by(Call.id))
             if own_deal.get(c.title) in deals]
    for call in calls:
        call.deal_id = deals[own_deal[call.title]].id
    db.session.flush()
    if calls:
        # The links are flushed, not committed: index in this session rather than through the queue.
        reindex_calls.call_local([c.id for c in calls])
    return f"{outcome.summary()}; {len(calls)} calls linked to their accounts' deals"


register_demo_step("deals", load_demo_deals)
