"""Reports that tie enablement to outcomes: read-only queries over every capability, pages with charts, CSV."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

from enable.reports import demo, panels, views  # noqa: E402,F401  (routes, home panels, demo usage history)
