"""Report 3, certification and outcomes: deals of reps who held a certification against deals of reps who did not.

A deal counts as certified when its owner held a valid certification award at the end of the deal's day (UTC
midnight after it): the close date for won and lost deals, the created date for open ones. An award is held from the
moment it was awarded until it expires; a renewal is a new award, so a lapse between two awards counts as not
certified. Deals whose owner is not a person in Enable, or that lack the day, are left out and counted.
The comparison is a correlation: the page says so, and says when the samples are too small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from enable.auth.models import Team, User
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.learning.models import AwardStatus, Certification, CertificationAward
from enable.reports.charts import IntervalChart, interval_chart
from enable.reports.filters import Scope
from enable.reports.queries.outcomes import (
    ClosedDeal,
    GroupFigures,
    closed_deal_conditions,
    figures,
    main_currency,
    verdict,
)
from enable.reports.stats import Comparison, compare_rates
from enable.reports.tables import Column, Table, amount, count, pct, points

ANY = 0  # the certification id standing for "any certification"


def held_at(day: date) -> datetime:
    """The moment a deal's day is judged at: UTC midnight after it (so an award earned that day counts)."""
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


def holds(award: CertificationAward, day: date) -> bool:
    """True when the award was valid (not yet expired) at the end of the day."""
    moment = held_at(day)
    return award.awarded_at < moment and award.status(moment) != AwardStatus.EXPIRED


@dataclass(frozen=True)
class DealFacts:
    """One deal as this report sees it: its closed-deal figures (None while open), owner and certifications held."""

    id: int
    owner_id: int
    closed: ClosedDeal | None
    held: frozenset[int]  # certification ids the owner held on the deal's day


@dataclass(frozen=True)
class CertificationFigures:
    """Deals of owners holding one certification (or any, id ANY) against the other deals."""

    certification_id: int
    title: str
    certified: GroupFigures
    not_certified: GroupFigures
    won_certified: GroupFigures  # the won deals alone: their mean amount is the average deal size
    won_not_certified: GroupFigures
    open_certified: int
    open_not_certified: int
    comparison: Comparison
    note: str


@dataclass(frozen=True)
class RepFigures:
    """One deal owner: closed deals while certified (any certification) and while not, and open deals."""

    user_id: int
    name: str
    team: str
    closed_certified: int
    won_certified: int
    closed_not_certified: int
    won_not_certified: int
    open_deals: int
    first_certified_on: date | None


@dataclass(frozen=True)
class CertificationReport:
    currency: str | None
    rows: list[CertificationFigures]  # "any certification" first
    reps: list[RepFigures]
    no_owner: int  # deals left out: their owner is not a person in Enable
    undated: int  # deals left out: no close date (closed) or created date (open)
    other_currency: int  # closed deals left out of the averages: in another currency

    @property
    def overall(self) -> CertificationFigures:
        return self.rows[0]

    def tables(self) -> dict[str, Table]:
        cur = f" ({self.currency})" if self.currency else ""
        certs = Table("certifications", _("Closed deals by certified and not certified owners"), [
            Column(_("Certification"), wide=True), Column(_("Note"), wide=True),
            Column(_("Closed deals certified"), True), Column(_("Won certified"), True),
            Column(_("Win rate certified %"), True),
            Column(_("95% CI low certified %"), True), Column(_("95% CI high certified %"), True),
            Column(_("Closed deals not certified"), True), Column(_("Won not certified"), True),
            Column(_("Win rate not certified %"), True),
            Column(_("95% CI low not certified %"), True), Column(_("95% CI high not certified %"), True),
            Column(_("Difference (points)"), True),
            Column(_("Avg won deal certified") + cur, True), Column(_("Won deals with amount certified"), True),
            Column(_("Avg won deal not certified") + cur, True), Column(_("Won deals with amount not certified"), True),
            Column(_("Open deals certified"), True), Column(_("Open deals not certified"), True),
        ])
        for r in self.rows:
            c, n = r.certified, r.not_certified
            certs.add([r.title, r.note, count(c.n), count(c.won), pct(c.rate), pct(c.low), pct(c.high),
                       count(n.n), count(n.won), pct(n.rate), pct(n.low), pct(n.high), points(r.comparison.diff),
                       amount(r.won_certified.mean_amount_cents), count(r.won_certified.amount_n),
                       amount(r.won_not_certified.mean_amount_cents), count(r.won_not_certified.amount_n),
                       count(r.open_certified), count(r.open_not_certified)])
        reps = Table("reps", _("Deals per owner, certified or not on each deal's day"), [
            Column(_("Owner")), Column(_("Team")),
            Column(_("Closed deals certified"), True), Column(_("Won certified"), True),
            Column(_("Closed deals not certified"), True), Column(_("Won not certified"), True),
            Column(_("Open deals"), True), Column(_("First certified on")),
        ])
        for p in self.reps:
            reps.add([p.name, p.team, count(p.closed_certified), count(p.won_certified), count(p.closed_not_certified),
                      count(p.won_not_certified), count(p.open_deals),
                      p.first_certified_on.isoformat() if p.first_certified_on else ""])
        return {t.name: t for t in (certs, reps)}

    def chart(self) -> IntervalChart:
        yes, no = _("certified"), _("not certified")
        return interval_chart([
            (r.title, [(yes, r.certified.rate, r.certified.low, r.certified.high, r.certified.n),
                       (no, r.not_certified.rate, r.not_certified.low, r.not_certified.high, r.not_certified.n)])
            for r in self.rows])


def _scoped_deals(scope: Scope) -> tuple[list[Deal], int]:
    """Closed deals closed in the scope (as the other reports count them) and open deals created in it, owned in
    its teams; and how many of them have no owner in Enable."""
    closed = select(Deal).where(*closed_deal_conditions(scope))
    open_conds = [Deal.outcome == DealOutcome.OPEN]
    if scope.start:
        open_conds.append(Deal.created_on >= scope.start)
    if scope.end:
        open_conds.append(Deal.created_on <= scope.end)
    members = scope.member_ids()
    if members is not None:
        open_conds.append(Deal.owner_id.in_(members))
    deals = [*db.session.scalars(closed.order_by(Deal.id)), *db.session.scalars(
        select(Deal).where(*open_conds).order_by(Deal.id))]
    owned = [d for d in deals if d.owner_id is not None]
    return owned, len(deals) - len(owned)


def _awards_by_owner(owner_ids: Iterable[int]) -> dict[int, list[CertificationAward]]:
    found: dict[int, list[CertificationAward]] = defaultdict(list)
    ids = sorted(set(owner_ids))
    for start in range(0, len(ids), 500):
        for award in db.session.scalars(select(CertificationAward).where(
                CertificationAward.user_id.in_(ids[start:start + 500])).order_by(CertificationAward.awarded_at)):
            found[award.user_id].append(award)
    return found


def _figures_for(cert_id: int, title: str, facts: list[DealFacts], currency: str | None) -> CertificationFigures:
    def has(f: DealFacts) -> bool:
        return bool(f.held) if cert_id == ANY else cert_id in f.held

    closed_yes = [f.closed for f in facts if f.closed is not None and has(f)]
    closed_no = [f.closed for f in facts if f.closed is not None and not has(f)]
    yes, no = figures(closed_yes, currency), figures(closed_no, currency)
    comparison = compare_rates(yes.won, yes.n, no.won, no.n)
    return CertificationFigures(
        cert_id, title, yes, no, figures((d for d in closed_yes if d.won), currency),
        figures((d for d in closed_no if d.won), currency),
        sum(1 for f in facts if f.closed is None and has(f)), sum(1 for f in facts if f.closed is None and not has(f)),
        comparison, verdict(comparison))


def certification_outcomes(scope: Scope) -> CertificationReport:
    """Win rates (with 95% intervals), average won deal and open deals of certified against not certified owners,
    for any certification and for each one."""
    deals, no_owner = _scoped_deals(scope)
    awards = _awards_by_owner(d.owner_id for d in deals if d.owner_id is not None)
    facts, undated = [], 0
    for deal in deals:
        day = deal.created_on if deal.outcome == DealOutcome.OPEN else deal.close_on
        if day is None or deal.owner_id is None:
            undated += 1
            continue
        held = frozenset(a.certification_id for a in awards.get(deal.owner_id, []) if holds(a, day))
        closed = None
        if deal.outcome != DealOutcome.OPEN:
            days = deal.days_to_close
            closed = ClosedDeal(deal.id, deal.outcome == DealOutcome.WON, deal.amount_cents, deal.currency,
                                days if days is not None and days >= 0 else None)
        facts.append(DealFacts(deal.id, deal.owner_id, closed, held))

    closed_facts = [f.closed for f in facts if f.closed is not None]
    currency = main_currency(closed_facts)
    rows = [_figures_for(ANY, _("Any certification"), facts, currency)]
    certs = db.session.scalars(select(Certification).order_by(Certification.title))
    rows += [_figures_for(c.id, c.title, facts, currency) for c in certs]
    other = sum(1 for d in closed_facts if d.currency and d.currency != currency)
    return CertificationReport(currency, rows, _per_owner(facts, awards), no_owner, undated, other)


def _per_owner(facts: list[DealFacts], awards: dict[int, list[CertificationAward]]) -> list[RepFigures]:
    by_owner: dict[int, list[DealFacts]] = defaultdict(list)
    for f in facts:
        by_owner[f.owner_id].append(f)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sorted(by_owner))))} if by_owner \
        else {}
    teams = dict(db.session.execute(select(Team.id, Team.name)).all())
    reps = []
    for owner_id, owned in by_owner.items():
        person = people[owner_id]
        closed_yes = [f.closed for f in owned if f.closed is not None and f.held]
        closed_no = [f.closed for f in owned if f.closed is not None and not f.held]
        first = min((a.awarded_at for a in awards.get(owner_id, [])), default=None)
        reps.append(RepFigures(owner_id, person.name, teams.get(person.team_id, "") if person.team_id else "",
                               len(closed_yes), sum(d.won for d in closed_yes), len(closed_no),
                               sum(d.won for d in closed_no), sum(1 for f in owned if f.closed is None),
                               first.astimezone(UTC).date() if first else None))
    reps.sort(key=lambda r: r.name.lower())
    return reps
