"""Reports that tie enablement to outcomes: read-only queries over every capability, pages with charts, CSV."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

from enable.reports import (  # noqa: E402,F401  (routes, home panels, demo usage history)
    demo,
    panels,
    scorecard_views,  # noqa: E402,F401  (the call scores report)
    views,
)
