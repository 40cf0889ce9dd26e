"""Report: conversation habits per rep over time: talk ratio, longest monologue, questions, interruptions, patience.

The figures are each call's own (Call.stats, from transcription/stats.py), for the calls whose rep is known as a
speaker: the rep's channel of a stereo call, or the speaker of a one-channel call named rep by voice or confirmed.
A call whose speakers are not named ("Speaker 1/2") is counted apart, as it cannot say which figures are the rep's.
Each figure is the mean over the rep's calls in the period (a week from Monday, or a month) by the call's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from enable.auth.models import User
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.reports.charts import LineChart, line_chart
from enable.reports.filters import Scope
from enable.reports.tables import Column, Table, count, decimal1, pct
from enable.transcription.voiceprint import REP

PERIODS = ("week", "month")
DEFAULT_PERIOD = "month"
MAX_PERIODS = 260  # five years of weeks, 21 of months; an open range over older calls lists the most recent
CHART_SERIES = 6  # the chart draws the reps with the most calls; the tables have them all
# The figures, in table order: key, label (with its unit), the chart's axis label
METRICS: dict[str, tuple[Any, Any]] = {
    "talk_ratio": (_l("Rep's talk %"), _l("rep's share of the talk, %")),
    "monologue_s": (_l("Rep's longest monologue (s)"), _l("seconds")),
    "rep_questions": (_l("Questions by the rep per call"), _l("questions per call")),
    "customer_questions": (_l("Questions by customers per call"), _l("questions per call")),
    "interruptions": (_l("Interruptions by the rep per call"), _l("interruptions per call")),
    "patience_s": (_l("Rep's patience (s)"), _l("seconds of pause before answering")),
}
DEFAULT_METRIC = "talk_ratio"


def call_figures(stats: Mapping[str, Any]) -> dict[str, float | None] | None:
    """The rep's figures of one call from its stats, or None when the call has no speaker named rep (or no other
    speaker). A figure the call's stats lack (calls transcribed before it was measured) is None."""
    talk = stats.get("talk_ratio") or {}
    if REP not in talk or len(talk) < 2:
        return None
    customers = [name for name in talk if name != REP]
    monologue = (stats.get("monologue_s") or {}).get(REP)
    if monologue is None and "monologue_s" not in stats:
        longest = stats.get("longest_monologue") or {}
        monologue = longest.get("seconds") if longest.get("speaker") == REP else None
    questions = stats.get("questions") or {}
    interruptions = stats.get("interruptions")
    return {
        "talk_ratio": float(talk[REP]),
        "monologue_s": float(monologue) if monologue is not None else None,
        "rep_questions": float(questions.get(REP, 0)) if questions else None,
        "customer_questions": float(sum(questions.get(name, 0) for name in customers)) if questions else None,
        "interruptions": float(interruptions.get(REP, 0)) if interruptions is not None else None,
        "patience_s": _number((stats.get("patience_s") or {}).get(REP)),
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Figures:
    """Means of the rep's figures over some calls (None where no call had the figure)."""

    calls: int
    means: dict[str, float | None]

    @classmethod
    def of(cls, rows: list[dict[str, float | None]]) -> Figures:
        means: dict[str, float | None] = {}
        for key in METRICS:
            values = [value for row in rows if (value := row[key]) is not None]
            means[key] = sum(values) / len(values) if values else None
        return cls(len(rows), means)

    def cells(self) -> list[str]:
        """The figures formatted as the tables show them."""
        return [count(self.calls)] + [pct(v) if key == "talk_ratio" else decimal1(v)
                                      for key, v in self.means.items()]


@dataclass(frozen=True)
class ConversationReport:
    period: str  # week or month
    metric: str  # the figure charted
    periods: list[str]  # week: the Monday's date; month: YYYY-MM
    reps: list[tuple[int, str, Figures]]  # rep id, name, figures over the whole range; most calls first
    per_period: dict[int, dict[str, Figures]]  # rep id -> period -> figures
    calls: int  # calls with the rep named as a speaker
    unnamed: int  # calls with speakers whose rep is not known among them

    def tables(self) -> dict[str, Table]:
        figures = [Column(str(label), True) for label, _axis in METRICS.values()]
        reps = Table("reps", _("Conversation figures per rep"), [Column(_("Rep")), Column(_("Calls"), True),
                                                                   *figures])
        for _rep_id, name, whole in self.reps:
            reps.add([name, *whole.cells()])
        label = _("Week (from Monday)") if self.period == "week" else _("Month")
        title = _("Conversation figures per rep and week") if self.period == "week" else \
            _("Conversation figures per rep and month")
        periods = Table("periods", title,
                        [Column(label), Column(_("Rep")), Column(_("Calls"), True), *figures])
        for period in self.periods:
            for rep_id, name, _whole in self.reps:
                if (cell := self.per_period[rep_id].get(period)) is not None:
                    periods.add([period, name, *cell.cells()])
        return {t.name: t for t in (reps, periods)}

    @property
    def metric_label(self) -> str:
        return str(METRICS[self.metric][0])

    def chart(self) -> LineChart:
        scale = 100.0 if self.metric == "talk_ratio" else 1.0
        series = []
        for rep_id, name, _whole in self.reps[:CHART_SERIES]:
            values = []
            for period in self.periods:
                cell = self.per_period[rep_id].get(period)
                value = cell.means[self.metric] if cell is not None else None
                values.append(round(value * scale, 1) if value is not None else None)
            series.append((name, values))
        return line_chart(self.periods, series, y_label=str(METRICS[self.metric][1]), max_x_labels=8,
                          integer=False)


def period_of(day: date, period: str) -> str:
    """The period a day falls in: the Monday of its week (ISO date), or its month (YYYY-MM)."""
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return f"{day.year:04d}-{day.month:02d}"


def _periods_between(first: date, last: date, period: str) -> list[str]:
    periods: list[str] = []
    if period == "week":
        day = first - timedelta(days=first.weekday())
        while day <= last:
            periods.append(day.isoformat())
            day += timedelta(days=7)
        return periods
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def _scoped_calls(scope: Scope) -> list[tuple[int, date, dict[str, Any]]]:
    """(rep id, call day, stats) of the ready calls with a rep in the scope's dates and teams."""
    stmt = select(Call.rep_id, Call.call_date, Call.created_at, Call.stats).where(
        Call.status == CallStatus.READY, Call.rep_id.is_not(None))
    members = scope.member_ids()
    if scope.team_ids is not None and members is not None:
        stmt = stmt.where(or_(Call.team_id.in_(sorted(scope.team_ids)),
                              and_(Call.team_id.is_(None), Call.rep_id.in_(members))))
    if scope.start is not None:  # a call without a day of its own counts on the day it was uploaded
        stmt = stmt.where(or_(Call.call_date >= scope.start,
                              and_(Call.call_date.is_(None), *scope.time_conditions(Call.created_at))))
    rows = []
    for rep_id, call_date, created_at, stats in db.session.execute(stmt):
        day = call_date or created_at.date()
        if scope.contains(day):
            rows.append((rep_id, day, stats or {}))
    return rows


def conversation_trends(scope: Scope, today: date, period: str = DEFAULT_PERIOD,
                        metric: str = DEFAULT_METRIC) -> ConversationReport:
    """Each rep's conversation figures per week or month in the scope's calls (see the module)."""
    period = period if period in PERIODS else DEFAULT_PERIOD
    metric = metric if metric in METRICS else DEFAULT_METRIC
    by_rep: dict[int, list[dict[str, float | None]]] = defaultdict(list)
    by_period: dict[int, dict[str, list[dict[str, float | None]]]] = defaultdict(lambda: defaultdict(list))
    days: list[date] = []
    unnamed = 0
    for rep_id, day, stats in _scoped_calls(scope):
        figures = call_figures(stats)
        if figures is None:
            unnamed += len(stats.get("talk_ratio") or {}) > 1  # two or more speakers, none of them the rep
            continue
        by_rep[rep_id].append(figures)
        by_period[rep_id][period_of(day, period)].append(figures)
        days.append(day)
    names: dict[int, str] = {}
    if by_rep:
        names = {user_id: name for user_id, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_(sorted(by_rep))))}
    reps = sorted(((rep_id, names.get(rep_id, "?"), Figures.of(rows)) for rep_id, rows in by_rep.items()),
                  key=lambda r: (-r[2].calls, r[1].lower(), r[0]))
    per_period = {rep_id: {p: Figures.of(rows) for p, rows in periods.items()} for rep_id, periods in by_period.items()}
    first = scope.start or min(days, default=today)
    last = scope.end or max(days, default=today)
    periods = _periods_between(first, last, period)[-MAX_PERIODS:] if first <= last else []
    return ConversationReport(period, metric, periods, reps, per_period, len(days), unnamed)
