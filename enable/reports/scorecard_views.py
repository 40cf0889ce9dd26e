"""The call scores report page (its query is reports/queries/scorecards.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.reports import bp
from enable.reports.queries.scorecards import HIGH_SCORE, score_report
from enable.reports.registry import register_report
from enable.reports.stats import MIN_CLOSED_DEALS
from enable.reports.views import _filters, respond

register_report("reports.scores", _l("Call scores"),
                _l("Managers' scores of calls per team and rep over time, per question, and the win rates of deals "
                   "whose calls scored high against low, with intervals at 95%."), order=45)


@bp.get("/scores")
@role_required(Role.MANAGER)
def scores():
    filters = _filters(default_days=365)
    return respond("call-scores", "reports/scores.html", score_report(filters.scope), filters,
                   min_closed=MIN_CLOSED_DEALS, high=HIGH_SCORE)
