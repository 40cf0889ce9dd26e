"""Report 4, objections: how often each objection came up in calls per month, and how its deals ended."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from enable.bites.models import Bite, BiteTag, TagSource
from enable.calls.models import Call
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.reports.charts import LineChart, line_chart
from enable.reports.filters import Scope
from enable.reports.queries.outcomes import ClosedDeal, GroupFigures, figures, verdict
from enable.reports.stats import Comparison, compare_rates
from enable.reports.tables import Column, Table, count, pct, points
from enable.search.index import speaker_role
from enable.taxonomy.models import Tag, TagKind

CHART_SERIES = 6  # the chart draws the most frequent objections; the tables have them all
MAX_MONTHS = 120  # ten years of monthly rows; an open range over older calls lists the most recent of them


@dataclass(frozen=True)
class ObjectionFigures:
    """One objection: calls it came up in, and the closed deals of those calls against the other deals' calls."""

    key: str
    name: str
    calls: int
    share: float | None  # of the calls in the scope
    with_it: GroupFigures
    without: GroupFigures
    comparison: Comparison
    note: str
    by_customer: int = 0  # calls where the customer said it (detected in the customer's words)
    by_rep: int = 0  # calls where the rep said it


@dataclass(frozen=True)
class ObjectionReport:
    calls: int  # calls in the scope
    months: list[str]  # YYYY-MM
    objections: list[ObjectionFigures]
    per_month: dict[str, dict[str, int]]  # objection key -> month -> calls

    def tables(self) -> dict[str, Table]:
        table = Table("objections", _("Objections and deal outcomes"), [
            Column(_("Objection")), Column(_("Note"), wide=True), Column(_("Calls"), True),
            Column(_("Share of calls %"), True),
            Column(_("Closed deals with it"), True), Column(_("Won with it"), True),
            Column(_("Win rate with it %"), True),
            Column(_("95% CI low with %"), True), Column(_("95% CI high with %"), True),
            Column(_("Closed deals without it"), True), Column(_("Win rate without it %"), True),
            Column(_("95% CI low without %"), True), Column(_("95% CI high without %"), True),
            Column(_("Difference (points)"), True),
            Column(_("Calls where the customer raised it"), True), Column(_("Calls where the rep raised it"), True),
        ])
        for o in self.objections:
            w, wo = o.with_it, o.without
            table.add([o.name, o.note, count(o.calls), pct(o.share), count(w.n), count(w.won), pct(w.rate), pct(w.low),
                       pct(w.high), count(wo.n), pct(wo.rate), pct(wo.low), pct(wo.high), points(o.comparison.diff),
                       count(o.by_customer), count(o.by_rep)])
        months = Table("months", _("Calls per month with each objection"),
                       [Column(_("Month"))] + [Column(o.name, True) for o in self.objections])
        for month in self.months:
            months.add([month] + [count(self.per_month[o.key].get(month, 0)) for o in self.objections])
        return {t.name: t for t in (table, months)}

    def chart(self) -> LineChart:
        top = self.objections[:CHART_SERIES]
        return line_chart(self.months, [(o.name, [self.per_month[o.key].get(m, 0) for m in self.months]) for o in top],
                          y_label=_("calls per month"), max_x_labels=8)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _scoped_calls(scope: Scope) -> dict[int, tuple[date, int | None]]:
    """call id -> (call day, deal id) for calls with bites in the scope's dates and teams."""
    stmt = select(Call.id, Call.call_date, Call.created_at, Call.deal_id).where(
        select(Bite.id).where(Bite.call_id == Call.id).exists())
    members = scope.member_ids()
    if scope.team_ids is not None and members is not None:
        stmt = stmt.where(or_(Call.team_id.in_(sorted(scope.team_ids)),
                              and_(Call.team_id.is_(None), Call.rep_id.in_(members))))
    calls = {}
    for call_id, call_date, created_at, deal_id in db.session.execute(stmt):
        day = call_date or created_at.date()
        if scope.contains(day):
            calls[call_id] = (day, deal_id)
    return calls


def objection_trends(scope: Scope, today: date) -> ObjectionReport:
    """Objections per month in the scope's calls, and win rates of the closed deals whose calls raised each."""
    calls = _scoped_calls(scope)
    locale = str(get_locale() or "en")
    names: dict[str, str] = {}
    calls_with: dict[str, set[int]] = defaultdict(set)
    said_in: dict[tuple[str, str], set[int]] = defaultdict(set)  # (objection, role) -> calls
    call_ids = sorted(calls)
    tags = {t.key: t for t in db.session.scalars(select(Tag).where(Tag.kind == TagKind.OBJECTION))}
    for start in range(0, len(call_ids), 500):
        # Tag keys, not their JSON names: PostgreSQL cannot compare json values for DISTINCT.
        rows = db.session.execute(
            select(Bite.call_id, Tag.key, BiteTag.source, BiteTag.speaker).distinct()
            .join(BiteTag, BiteTag.bite_id == Bite.id).join(Tag, Tag.id == BiteTag.tag_id)
            .where(Bite.call_id.in_(call_ids[start:start + 500]), Tag.kind == TagKind.OBJECTION,
                   BiteTag.is_removed.is_(False)))
        for call_id, key, source, speaker in rows:
            calls_with[key].add(call_id)
            names[key] = tags[key].name_in(locale)
            role = speaker_role(speaker) if source == TagSource.DETECTED else None
            if role is not None:
                said_in[(key, role)].add(call_id)

    deal_ids = sorted({deal for _day, deal in calls.values() if deal is not None})
    closed: dict[int, ClosedDeal] = {}
    for start in range(0, len(deal_ids), 500):
        for deal in db.session.scalars(select(Deal).where(Deal.id.in_(deal_ids[start:start + 500]),
                                                          Deal.outcome != DealOutcome.OPEN)):
            closed[deal.id] = ClosedDeal(deal.id, deal.outcome == DealOutcome.WON, deal.amount_cents, deal.currency,
                                      deal.days_to_close)

    per_month: dict[str, dict[str, int]] = {}
    objections = []
    for key, with_calls in calls_with.items():
        by_month: dict[str, int] = defaultdict(int)
        for call_id in with_calls:
            by_month[_month(calls[call_id][0])] += 1
        per_month[key] = dict(by_month)
        deals_with = {d for c in with_calls if (d := calls[c][1]) is not None} & closed.keys()
        with_it = figures((closed[d] for d in deals_with), None)
        without = figures((d for i, d in closed.items() if i not in deals_with), None)
        comparison = compare_rates(with_it.won, with_it.n, without.won, without.n)
        objections.append(ObjectionFigures(key, names[key], len(with_calls), len(with_calls) / len(calls), with_it,
                                           without, comparison, verdict(comparison),
                                           len(said_in[(key, "customer")]), len(said_in[(key, "rep")])))
    objections.sort(key=lambda o: (-o.calls, o.name.lower()))
    days = [day for day, _deal in calls.values()]
    first = scope.start or min(days, default=today)
    last = scope.end or max(days, default=today)
    months = _months_between(first, last)[-MAX_MONTHS:] if first <= last else []
    return ObjectionReport(len(calls), months, objections, per_month)
