"""Report 7, call scores: managers' scores of calls over time per team and rep, per question, and the win rates of
closed deals whose calls scored high against those whose calls scored low.

Counted: scores of calls whose rep is in the scope's teams, given in its dates. Self-scores are shown beside the
managers' scores, never mixed into them. The outcome comparison is a correlation, with intervals and sample sizes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from enable.auth.models import Team, User
from enable.calls.models import Call
from enable.coaching.models import CallScore, QuestionKind, ScoreAnswer, Scorecard, ScorecardQuestion, ScorecardVersion
from enable.extensions import db
from enable.reports.charts import HBarChart, IntervalChart, LineChart, hbar_chart, interval_chart, line_chart
from enable.reports.filters import Scope
from enable.reports.queries.outcomes import GroupFigures, Tally, closed_deals, main_currency, verdict
from enable.reports.stats import Comparison, compare_rates
from enable.reports.tables import Column, Table, count, decimal1, pct, points

HIGH_SCORE = 70.0  # a deal's calls scored high when their managers' mean total is at least this (%)
CHART_SERIES = 6
CHART_QUESTIONS = 15


@dataclass(frozen=True)
class Row:
    score_id: int
    month: str
    rep_id: int | None
    rep: str
    team: str
    is_self: bool
    total: float | None
    scorecard_id: int
    scorecard: str
    deal_id: int | None


@dataclass(frozen=True)
class QuestionFigures:
    scorecard: str
    version: int
    prompt: str
    kind: str
    answers: int
    mean: float | None  # 0..1 of the question's points
    moments: int


@dataclass(frozen=True)
class OutcomeFigures:
    scorecard: str
    high: GroupFigures
    low: GroupFigures
    comparison: Comparison
    note: str


@dataclass(frozen=True)
class ScoreReport:
    rows: list[Row]
    months: list[str]
    questions: list[QuestionFigures]
    outcomes: list[OutcomeFigures]

    @property
    def manager_scores(self) -> list[Row]:
        return [r for r in self.rows if not r.is_self]

    @property
    def mean(self) -> float | None:
        return _mean(r.total for r in self.manager_scores)

    @property
    def self_count(self) -> int:
        return sum(1 for r in self.rows if r.is_self)

    def _groups(self, key) -> dict[tuple[str, str], list[Row]]:
        groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for r in self.rows:
            groups[(key(r), r.month)].append(r)
        return groups

    def tables(self) -> dict[str, Table]:
        reps = Table("reps", _("Scores per rep and month"), [
            Column(_("Month")), Column(_("Team")), Column(_("Rep"), wide=True), Column(_("Scores by managers"), True),
            Column(_("Mean score by managers %"), True), Column(_("Self-scores"), True),
            Column(_("Mean self-score %"), True)])
        by_rep: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
        for r in self.rows:
            by_rep[(r.month, r.team, r.rep)].append(r)
        for (month, team, rep), rows in sorted(by_rep.items()):
            managers = [r for r in rows if not r.is_self]
            selfs = [r for r in rows if r.is_self]
            reps.add([month, team, rep, count(len(managers)), decimal1(_mean(r.total for r in managers)),
                      count(len(selfs)), decimal1(_mean(r.total for r in selfs))])
        teams = Table("teams", _("Scores per team and month"), [
            Column(_("Month")), Column(_("Team")), Column(_("Scores by managers"), True),
            Column(_("Mean score by managers %"), True), Column(_("Reps scored"), True)])
        for (team, month), rows in sorted(self._groups(lambda r: r.team).items(), key=lambda kv: (kv[0][1], kv[0][0])):
            managers = [r for r in rows if not r.is_self]
            teams.add([month, team, count(len(managers)), decimal1(_mean(r.total for r in managers)),
                       count(len({r.rep_id for r in managers}))])
        questions = Table("questions", _("Answers per question"), [
            Column(_("Scorecard"), wide=True), Column(_("Version"), True), Column(_("Question"), wide=True),
            Column(_("Kind")), Column(_("Answers"), True), Column(_("Mean %"), True),
            Column(_("Answers pointing at a moment"), True)])
        for q in self.questions:
            questions.add([q.scorecard, count(q.version), q.prompt, q.kind, count(q.answers), pct(q.mean),
                           count(q.moments)])
        outcomes = Table("outcomes", _("Win rates of closed deals by their calls' scores"), [
            Column(_("Scorecard"), wide=True), Column(_("Note"), wide=True),
            Column(_("Deals scored high"), True), Column(_("Won high"), True), Column(_("Win rate high %"), True),
            Column(_("95% CI low high %"), True), Column(_("95% CI high high %"), True),
            Column(_("Deals scored low"), True), Column(_("Won low"), True), Column(_("Win rate low %"), True),
            Column(_("95% CI low low %"), True), Column(_("95% CI high low %"), True),
            Column(_("Difference (points)"), True)])
        for o in self.outcomes:
            h, lo = o.high, o.low
            outcomes.add([o.scorecard, o.note, count(h.n), count(h.won), pct(h.rate), pct(h.low), pct(h.high),
                          count(lo.n), count(lo.won), pct(lo.rate), pct(lo.low), pct(lo.high),
                          points(o.comparison.diff)])
        return {t.name: t for t in (teams, reps, questions, outcomes)}

    def trend_chart(self) -> LineChart:
        """Managers' mean score per month: every scored rep together, then each team (the largest ones)."""
        managers = self.manager_scores
        by_team: dict[str, list[Row]] = defaultdict(list)
        for r in managers:
            by_team[r.team].append(r)
        series = [(_("All teams"), [_mean(r.total for r in managers if r.month == m) or 0 for m in self.months])]
        for team, rows in sorted(by_team.items(), key=lambda kv: -len(kv[1]))[:CHART_SERIES - 1]:
            series.append((team, [_mean(r.total for r in rows if r.month == m) or 0 for m in self.months]))
        return line_chart(self.months, series, y_label=_("mean score %"), integer=False)

    def question_chart(self) -> HBarChart:
        items = [(q.prompt, round((q.mean or 0) * 100, 1)) for q in self.questions if q.mean is not None]
        return hbar_chart(items[:CHART_QUESTIONS], integer=False)

    def outcome_chart(self) -> IntervalChart:
        high, low = _("scored high"), _("scored low")
        return interval_chart([(o.scorecard, [(high, o.high.rate, o.high.low, o.high.high, o.high.n),
                                              (low, o.low.rate, o.low.low, o.low.high, o.low.n)])
                               for o in self.outcomes])


def _mean(values) -> float | None:
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def score_report(scope: Scope) -> ScoreReport:
    """Every score in the scope with its rep, team and month; per-question means; outcomes of scored deals."""
    stmt = (select(CallScore.id, CallScore.created_at, CallScore.rep_id, User.name, Team.name, CallScore.is_self,
                   CallScore.total_pct, Scorecard.id, Scorecard.title, Call.deal_id)
            .join(ScorecardVersion, ScorecardVersion.id == CallScore.version_id)
            .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
            .join(Call, Call.id == CallScore.call_id)
            .outerjoin(User, User.id == CallScore.rep_id).outerjoin(Team, Team.id == User.team_id)
            .where(*scope.time_conditions(CallScore.created_at)))
    members = scope.member_ids()
    if members is not None:
        stmt = stmt.where(CallScore.rep_id.in_(members))
    rows = [Row(sid, at.strftime("%Y-%m"), rep_id, rep or "—", team or _("No team"), is_self, total, card_id, card,
                deal_id)
            for sid, at, rep_id, rep, team, is_self, total, card_id, card, deal_id in
            db.session.execute(stmt.order_by(CallScore.created_at, CallScore.id))]
    months = sorted({r.month for r in rows})
    return ScoreReport(rows, months, _questions([r.score_id for r in rows]), _outcomes(rows, scope))


def _questions(score_ids: list[int]) -> list[QuestionFigures]:
    if not score_ids:
        return []
    stmt = (select(Scorecard.title, ScorecardVersion.number, ScorecardQuestion.id, ScorecardQuestion.prompt,
                   ScorecardQuestion.kind, ScorecardQuestion.position, ScoreAnswer.points, ScoreAnswer.moment_s)
            .join(ScorecardQuestion, ScorecardQuestion.id == ScoreAnswer.question_id)
            .join(ScorecardVersion, ScorecardVersion.id == ScorecardQuestion.version_id)
            .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
            .join(CallScore, CallScore.id == ScoreAnswer.score_id)
            .where(CallScore.id.in_(score_ids), CallScore.is_self.is_(False)))
    found: dict[int, dict] = {}
    for card, version, qid, prompt, kind, position, pts, moment in db.session.execute(stmt):
        entry = found.setdefault(qid, {"key": (card, version, position), "card": card, "version": version,
                                       "prompt": prompt, "kind": QuestionKind(kind).label, "points": [],
                                       "answers": 0, "moments": 0})
        entry["answers"] += 1
        entry["moments"] += moment is not None
        if pts is not None:
            entry["points"].append(pts)
    return [QuestionFigures(e["card"], e["version"], e["prompt"], e["kind"], e["answers"], _mean(e["points"]),
                            e["moments"]) for e in sorted(found.values(), key=lambda e: e["key"])]


def _outcomes(rows: list[Row], scope: Scope) -> list[OutcomeFigures]:
    """Per scorecard: closed deals (in the scope's teams, any close date) whose calls' mean managers' score is at
    least HIGH_SCORE against those below it."""
    deals = {d.id: d for d in closed_deals(Scope(team_ids=scope.team_ids))}
    currency = main_currency(deals.values())
    per_card: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if not r.is_self and r.total is not None and r.deal_id in deals:
            per_card[r.scorecard][r.deal_id].append(r.total)
    out = []
    for card, by_deal in sorted(per_card.items()):
        high = [deals[i] for i, totals in by_deal.items() if sum(totals) / len(totals) >= HIGH_SCORE]
        low = [deals[i] for i, totals in by_deal.items() if sum(totals) / len(totals) < HIGH_SCORE]
        h, lo = Tally.of(high, currency).figures(), Tally.of(low, currency).figures()
        comparison = compare_rates(h.won, h.n, lo.won, lo.n)
        out.append(OutcomeFigures(card, h, lo, comparison, verdict(comparison)))
    return out
