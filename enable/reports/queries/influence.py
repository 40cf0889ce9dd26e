"""Report 2, deal influence: per content item, closed deals where it was used against those where it was not.

"Used on a deal" means any usage event carrying the deal's id: marked as used, or played or viewed from the
deal's page. The comparison is a correlation: the page says so, and says when the samples are too small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from enable.deals import content
from enable.deals.models import Deal
from enable.extensions import db
from enable.reports.charts import IntervalChart, interval_chart
from enable.reports.filters import Scope
from enable.reports.queries.outcomes import (
    GroupFigures,
    Tally,
    closed_deal_conditions,
    closed_deals,
    main_currency,
    verdict,
)
from enable.reports.stats import Comparison, compare_rates
from enable.reports.tables import Column, Table, amount, count, decimal1, pct, points
from enable.usage import UsageEvent

CHART_ITEMS = 12  # the chart shows the items used on most deals; the table has them all


@dataclass(frozen=True)
class ItemInfluence:
    """One content item: the closed deals it was used on, the others, and their comparison."""

    item_type: str
    item_id: int
    title: str
    used: GroupFigures
    not_used: GroupFigures
    comparison: Comparison
    note: str


@dataclass(frozen=True)
class InfluenceReport:
    all_closed: GroupFigures
    currency: str | None
    other_currency: int  # closed deals left out of the averages because they are in another currency
    items: list[ItemInfluence]

    def tables(self) -> dict[str, Table]:
        cur = f" ({self.currency})" if self.currency else ""
        table = Table("items", _("Win rate with and without each item"), link_column=1, columns=[
            Column(_("Type")), Column(_("Item"), wide=True), Column(_("Note"), wide=True),
            Column(_("Deals used"), True), Column(_("Won used"), True), Column(_("Win rate used %"), True),
            Column(_("95% CI low used %"), True), Column(_("95% CI high used %"), True),
            Column(_("Deals not used"), True), Column(_("Won not used"), True), Column(_("Win rate not used %"), True),
            Column(_("95% CI low not used %"), True), Column(_("95% CI high not used %"), True),
            Column(_("Difference (points)"), True),
            Column(_("Avg amount used") + cur, True), Column(_("Avg amount not used") + cur, True),
            Column(_("Avg days to close used"), True), Column(_("Avg days to close not used"), True),
        ])
        for it in self.items:
            u, n = it.used, it.not_used
            table.add([content.type_label(it.item_type), it.title, it.note,
                       count(u.n), count(u.won), pct(u.rate), pct(u.low), pct(u.high),
                       count(n.n), count(n.won), pct(n.rate), pct(n.low), pct(n.high),
                       points(it.comparison.diff),
                       amount(u.mean_amount_cents), amount(n.mean_amount_cents),
                       decimal1(u.mean_days), decimal1(n.mean_days)],
                      content.item_url(it.item_type, it.item_id))
        return {table.name: table}

    @property
    def too_few(self) -> int:
        """How many items have too few closed deals on one side to compare."""
        return sum(1 for it in self.items if not it.comparison.enough_data)

    def chart(self) -> IntervalChart:
        used, not_used = _("used"), _("not used")
        return interval_chart([
            (it.title, [(used, it.used.rate, it.used.low, it.used.high, it.used.n),
                        (not_used, it.not_used.rate, it.not_used.low, it.not_used.high, it.not_used.n)])
            for it in self.items[:CHART_ITEMS]])


def deal_influence(scope: Scope) -> InfluenceReport:
    """Win rates, intervals, mean amounts and days to close of closed deals with and without each content item."""
    deals = closed_deals(scope)
    by_id = {d.id: d for d in deals}
    currency = main_currency(deals)
    used_on: dict[tuple[str, int], set[int]] = defaultdict(set)
    rows = db.session.execute(
        select(UsageEvent.item_type, UsageEvent.item_id, UsageEvent.deal_id)
        .join(Deal, Deal.id == UsageEvent.deal_id)
        .where(*closed_deal_conditions(scope), UsageEvent.item_type.in_(list(content.CONTENT_TYPES))))
    for item_type, item_id, deal_id in rows:
        if deal_id in by_id:
            used_on[(item_type, item_id)].add(deal_id)
    names: dict[tuple[str, int], str] = {}
    for item_type in {t for t, _i in used_on}:
        for i, title in content.titles(item_type, [i for t, i in used_on if t == item_type]).items():
            names[(item_type, i)] = title
    total = Tally.of(deals, currency)
    items = []
    for (item_type, item_id), deal_ids in used_on.items():
        used_tally = Tally.of((by_id[i] for i in deal_ids), currency)
        used, not_used = used_tally.figures(), (total - used_tally).figures()
        comparison = compare_rates(used.won, used.n, not_used.won, not_used.n)
        title = names.get((item_type, item_id)) or _("(removed %(type)s %(id)s)",
                                                      type=content.type_label(item_type), id=item_id)
        items.append(ItemInfluence(item_type, item_id, title, used, not_used, comparison, verdict(comparison)))
    items.sort(key=lambda it: (-it.used.n, it.title.lower()))
    other = sum(1 for d in deals if d.currency and d.currency != currency)
    return InfluenceReport(total.figures(), currency, other, items)
