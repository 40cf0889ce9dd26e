"""The home dashboard, language switch and health check."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")

from enable.main import views  # noqa: E402,F401
