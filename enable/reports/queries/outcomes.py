"""Closed deals in a report's scope, and the honest figures of a group of them (win rate, interval, averages)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.reports.filters import Scope
from enable.reports.stats import MIN_CLOSED_DEALS, Comparison, wilson_interval


@dataclass(frozen=True)
class ClosedDeal:
    """The facts of one won or lost deal that the reports use."""

    id: int
    won: bool
    amount_cents: int | None
    currency: str | None
    days_to_close: int | None


def closed_deal_conditions(scope: Scope) -> list:
    """SQL conditions for won and lost deals closed in the scope's dates and owned in its teams."""
    conds: list[ColumnElement[bool]] = [Deal.outcome.in_([DealOutcome.WON, DealOutcome.LOST])]
    if scope.start:
        conds.append(Deal.close_on >= scope.start)
    if scope.end:
        conds.append(Deal.close_on <= scope.end)
    members = scope.member_ids()
    if members is not None:
        conds.append(Deal.owner_id.in_(members))
    return conds


def closed_deals(scope: Scope) -> list[ClosedDeal]:
    """Won and lost deals closed in the scope's dates (any close date when unbounded) and owned in its teams."""
    stmt = select(Deal.id, Deal.outcome, Deal.amount_cents, Deal.currency, Deal.close_on, Deal.created_on).where(
        *closed_deal_conditions(scope))
    deals = []
    for deal_id, outcome, cents, currency, close_on, created_on in db.session.execute(stmt.order_by(Deal.id)):
        days = (close_on - created_on).days if close_on and created_on and close_on >= created_on else None
        deals.append(ClosedDeal(deal_id, outcome == DealOutcome.WON, cents, currency, days))
    return deals


def main_currency(deals: Iterable[ClosedDeal]) -> str | None:
    """The currency most deals state; deals that state none are taken to be in it."""
    counts = Counter(d.currency for d in deals if d.currency)
    return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class GroupFigures:
    """A group of closed deals: counts, win rate with its 95% Wilson interval, mean amount and days to close."""

    n: int
    won: int
    rate: float | None
    low: float
    high: float
    mean_amount_cents: float | None
    amount_n: int
    mean_days: float | None
    days_n: int

    @property
    def lost(self) -> int:
        return self.n - self.won


@dataclass(frozen=True)
class Tally:
    """Sums over a group of closed deals, from which its figures follow; tallies subtract (all minus used)."""

    n: int = 0
    won: int = 0
    amount_sum: int = 0
    amount_n: int = 0
    days_sum: int = 0
    days_n: int = 0

    @classmethod
    def of(cls, deals: Iterable[ClosedDeal], currency: str | None) -> Tally:
        """Tally deals; amounts count only in `currency` (or when a deal states none)."""
        n = won = amount_sum = amount_n = days_sum = days_n = 0
        for d in deals:
            n += 1
            won += d.won
            if d.amount_cents is not None and (d.currency is None or d.currency == currency):
                amount_sum += d.amount_cents
                amount_n += 1
            if d.days_to_close is not None:
                days_sum += d.days_to_close
                days_n += 1
        return cls(n, won, amount_sum, amount_n, days_sum, days_n)

    def __sub__(self, other: Tally) -> Tally:
        return Tally(self.n - other.n, self.won - other.won, self.amount_sum - other.amount_sum,
                     self.amount_n - other.amount_n, self.days_sum - other.days_sum, self.days_n - other.days_n)

    def figures(self) -> GroupFigures:
        low, high = wilson_interval(self.won, self.n)
        return GroupFigures(
            n=self.n, won=self.won, rate=self.won / self.n if self.n else None, low=low, high=high,
            mean_amount_cents=self.amount_sum / self.amount_n if self.amount_n else None, amount_n=self.amount_n,
            mean_days=self.days_sum / self.days_n if self.days_n else None, days_n=self.days_n)


def figures(deals: Iterable[ClosedDeal], currency: str | None) -> GroupFigures:
    """The figures of a group; amounts are averaged over deals in `currency` (or stating none)."""
    return Tally.of(deals, currency).figures()


def verdict(c: Comparison) -> str:
    """A plain sentence on what a comparison of two win rates can and cannot say."""
    if not c.enough_data:
        return _("Too few closed deals to conclude anything (%(a)s and %(b)s; at least %(min)s each are needed).",
                 a=c.n_a, b=c.n_b, min=MIN_CLOSED_DEALS)
    if c.warning:
        return _("The intervals overlap: this difference may be chance.")
    return _("The intervals do not overlap: a real difference, though not proof of cause.")
