"""Report pages: each parses the filters, runs its query module, and renders the page or one table as CSV.

Adding a report: a module in reports/queries/ whose result has tables() (and a chart), a view below calling
respond(), a template extending reports/_layout.html, and a register_report() line.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.navigation import add_nav_item
from enable.reports import bp
from enable.reports.filters import Filters, read_filters
from enable.reports.queries.certification import certification_outcomes
from enable.reports.queries.conversations import DEFAULT_METRIC, DEFAULT_PERIOD, METRICS, PERIODS, conversation_trends
from enable.reports.queries.influence import deal_influence
from enable.reports.queries.objections import objection_trends
from enable.reports.queries.onboarding import onboarding as onboarding_report
from enable.reports.queries.search_gaps import FEW_RESULTS, search_gaps
from enable.reports.queries.usage import content_usage
from enable.reports.registry import REPORTS, register_report
from enable.reports.stats import MIN_CLOSED_DEALS
from enable.reports.tables import csv_response

add_nav_item("reports.index", _l("Reports"), Role.MANAGER, order=70)
register_report("reports.usage", _l("Content usage"),
                _l("Views, plays and people per bite, playlist, playbook and asset; the weekly trend; "
                   "content never used."),
                order=10)
register_report("reports.influence", _l("Deal influence"),
                _l("Win rates of closed deals with and without each piece of content, with intervals at 95%."),
                order=20)
register_report("reports.certification_outcomes", _l("Certification and outcomes"),
                _l("Win rates and deal sizes of reps who held a certification on the deal's day against those who "
                   "did not, with intervals at 95%."), order=30)
register_report("reports.objections", _l("Objections"),
                _l("How often each objection comes up in calls per month, and how those deals end."), order=40)
register_report("reports.conversations", _l("Conversation habits"),
                _l("Each rep's talk ratio, longest monologue, questions, interruptions and patience on calls, per "
                   "week or month."), order=45)
register_report("reports.onboarding", _l("Onboarding"),
                _l("Progress per track, overdue steps, and ramp: days from hire to first certification and to "
                   "first won deal."), order=50)
register_report("reports.search_gaps", _l("Search gaps"),
                _l("Frequent searches with few or no results: the content to make next."), order=60)


def respond(name: str, template: str, report: Any, filters: Filters, **context: Any):
    """The report page, or with ?format=csv one of its tables (?table=name, else the first) as a CSV download."""
    tables = report.tables()
    if request.args.get("format") == "csv":
        table = tables.get(request.args.get("table") or next(iter(tables)))
        if table is None:
            abort(404)
        return csv_response(table, f"{name}-{table.name}-{utcnow().date().isoformat()}.csv")
    return render_template(template, report=report, tables=tables, filters=filters, report_name=name,
                           endpoint=request.endpoint, **context)


def _filters(default_days: int | None) -> Filters:
    return read_filters(request.args, current_user, today=utcnow().date(), default_days=default_days)


@bp.get("/")
@role_required(Role.MANAGER)
def index():
    return render_template("reports/index.html", reports=[r for r in REPORTS if current_user.has_role(r.role)],
                           team_only=not current_user.has_role(Role.ENABLEMENT))


@bp.get("/usage")
@role_required(Role.MANAGER)
def usage():
    filters = _filters(default_days=84)
    return respond("content-usage", "reports/usage.html", content_usage(filters.scope, utcnow().date()), filters)


@bp.get("/influence")
@role_required(Role.MANAGER)
def influence():
    filters = _filters(default_days=None)
    return respond("deal-influence", "reports/influence.html", deal_influence(filters.scope), filters,
                   min_closed=MIN_CLOSED_DEALS)


@bp.get("/objections")
@role_required(Role.MANAGER)
def objections():
    filters = _filters(default_days=365)
    return respond("objections", "reports/objections.html", objection_trends(filters.scope, utcnow().date()),
                   filters, min_closed=MIN_CLOSED_DEALS)


@bp.get("/certification-outcomes", endpoint="certification_outcomes")
@role_required(Role.MANAGER)
def certification_outcomes_report():
    filters = _filters(default_days=None)
    return respond("certification-outcomes", "reports/certification_outcomes.html",
                   certification_outcomes(filters.scope), filters, min_closed=MIN_CLOSED_DEALS)


@bp.get("/onboarding")
@role_required(Role.MANAGER)
def onboarding():
    filters = _filters(default_days=None)
    today = utcnow().date()
    return respond("onboarding", "reports/onboarding.html", onboarding_report(filters.scope, today), filters)


@bp.get("/search-gaps", endpoint="search_gaps")
@role_required(Role.MANAGER)
def search_gaps_report():
    filters = _filters(default_days=90)
    few = request.args.get("few", type=int)
    few = FEW_RESULTS if few is None or not 0 <= few <= 50 else few
    filters.query["few"] = str(few)
    return respond("search-gaps", "reports/search_gaps.html", search_gaps(filters.scope, few), filters)


def conversation_choices() -> tuple[str, str]:
    """The period (week or month) and the charted figure asked for (?period=, ?metric=), else the defaults."""
    period = request.args.get("period") or DEFAULT_PERIOD
    metric = request.args.get("metric") or DEFAULT_METRIC
    return (period if period in PERIODS else DEFAULT_PERIOD), (metric if metric in METRICS else DEFAULT_METRIC)


@bp.get("/conversations")
@role_required(Role.MANAGER)
def conversations():
    filters = _filters(default_days=182)
    period, metric = conversation_choices()
    filters.query.update(period=period, metric=metric)
    report = conversation_trends(filters.scope, utcnow().date(), period, metric)
    return respond("conversation-habits", "reports/conversations.html", report, filters,
                   metrics=[(key, label) for key, (label, _axis) in METRICS.items()])
