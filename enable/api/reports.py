"""Every report as JSON: the same query modules and tables as the report pages and their CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _

from enable.api.core import MAX_ID, ApiError, Param, not_found, ok, operation, reply
from enable.api.core import api_user as user
from enable.api.schemas import BOOL, DATE, DAY_IN, INT, STR, null, obj
from enable.auth.models import Role
from enable.db import utcnow
from enable.errors import UserError
from enable.reasons import N_
from enable.reports.filters import Scope, read_filters
from enable.reports.queries.certification import certification_outcomes
from enable.reports.queries.conversations import DEFAULT_PERIOD, PERIODS, conversation_trends
from enable.reports.queries.influence import deal_influence
from enable.reports.queries.objections import objection_trends
from enable.reports.queries.onboarding import onboarding
from enable.reports.queries.scorecards import score_report
from enable.reports.queries.search_gaps import FEW_RESULTS, search_gaps
from enable.reports.queries.usage import content_usage
from enable.reports.registry import REPORTS

TAG = N_("Reports")


@dataclass(frozen=True)
class ApiReport:
    """A report's name in the API, the report page it mirrors, its default date range and how to run it."""

    name: str
    endpoint: str
    default_days: int | None
    run: Callable[[Scope], Any]


def _few() -> int:
    few = request.args.get("few", type=int)
    return FEW_RESULTS if few is None or not 0 <= few <= 50 else few


def _period() -> str:
    period = request.args.get("period") or DEFAULT_PERIOD
    return period if period in PERIODS else DEFAULT_PERIOD


# The same defaults as the report pages (enable/reports/views.py).
API_REPORTS = [
    ApiReport("content-usage", "reports.usage", 84, lambda s: content_usage(s, utcnow().date())),
    ApiReport("deal-influence", "reports.influence", None, deal_influence),
    ApiReport("certification-outcomes", "reports.certification_outcomes", None, certification_outcomes),
    ApiReport("objections", "reports.objections", 365, lambda s: objection_trends(s, utcnow().date())),
    ApiReport("conversation-habits", "reports.conversations", 182,
              lambda s: conversation_trends(s, utcnow().date(), _period())),
    ApiReport("call-scores", "reports.scores", 365, score_report),
    ApiReport("onboarding", "reports.onboarding", None, lambda s: onboarding(s, utcnow().date())),
    ApiReport("search-gaps", "reports.search_gaps", 90, lambda s: search_gaps(s, _few())),
]
BY_NAME = {r.name: r for r in API_REPORTS}

TABLE = obj({"name": STR, "title": STR,
             "columns": {"type": "array", "items": obj({"label": STR, "numeric": BOOL})},
             "rows": {"type": "array", "items": {"type": "array", "items": STR}}})
REPORT = obj({"report": STR, "title": STR, "start": null(DATE), "end": null(DATE),
              "team_ids": {"type": ["array", "null"], "items": INT},
              "tables": {"type": "array", "items": TABLE}})


@operation("GET", "/reports", role=Role.MANAGER, tag=TAG, summary=N_("List the reports"),
           replies={200: ok(obj({"data": {"type": "array", "items": obj({"name": STR, "title": STR,
                                                                          "summary": STR})}}))})
def reports_list():
    info = {r.endpoint: r for r in REPORTS}
    return reply({"data": [{"name": r.name, "title": str(info[r.endpoint].title),
                            "summary": str(info[r.endpoint].summary)}
                           for r in API_REPORTS if r.endpoint in info and user().has_role(info[r.endpoint].role)]})


@operation("GET", "/reports/<name>", role=Role.MANAGER, tag=TAG, summary=N_("One report as JSON"),
           path_schemas={"name": {"type": "string", "enum": [r.name for r in API_REPORTS]}},
           description=N_("Managers read their own teams' figures, enablement and admins every team's. Cells are the "
                          "formatted strings of the report page and its CSV download."),
           params=[Param("start", DAY_IN, N_("First day counted (default: the page's).")),
                   Param("end", DAY_IN, N_("Last day counted.")),
                   Param("team", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, N_("Only this team.")),
                   Param("few", {"type": "integer", "minimum": 0, "maximum": 50},
                         N_("search-gaps: a search with at most this many results counts as a gap.")),
                   Param("period", {"type": "string", "enum": list(PERIODS)},
                         N_("conversation-habits: figures per week or per month (the default)."))],
           replies={200: ok(REPORT)})
def reports_get(name: str):
    report = BY_NAME.get(name)
    info = next((r for r in REPORTS if report and r.endpoint == report.endpoint), None)
    if report is None or info is None:
        raise not_found(_("There is no report “%(name)s”.", name=name[:60]))
    if not user().has_role(info.role):
        raise ApiError(403, "forbidden", _("Your role does not allow this."))
    filters = read_filters(request.args, user(), today=utcnow().date(), default_days=report.default_days)
    problems = [e for f in (filters.form.start, filters.form.end, filters.form.team) for e in f.errors]
    if problems:
        raise UserError(" ".join(str(p) for p in problems))
    tables = report.run(filters.scope).tables()
    scope = filters.scope
    return reply({"report": report.name, "title": str(info.title), "start": scope.start.isoformat() if scope.start
                  else None, "end": scope.end.isoformat() if scope.end else None,
                  "team_ids": sorted(scope.team_ids) if scope.team_ids is not None else None,
                  "tables": [{"name": t.name, "title": str(t.title),
                              "columns": [{"label": str(c.label), "numeric": c.numeric} for c in t.columns],
                              "rows": [[str(cell) for cell in row] for row in t.rows]} for t in tables.values()]})
