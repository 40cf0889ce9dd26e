"""Coaching: scorecards (versioned), scores of calls by managers and reps, and feedback requests."""

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/coaching", template_folder="templates")

from enable.coaching import content, demo, jobs, views  # noqa: E402,F401  (routes, loader, demo step, reminders)
