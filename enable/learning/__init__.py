"""Learning: onboarding tracks, quizzes, certifications that expire, and spaced review."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix="/learning", template_folder="templates", cli_group="learning")

from enable.learning import cli, hooks, jobs, manage_views, team_views, views  # noqa: E402,F401  (routes, commands, hooks, jobs)
