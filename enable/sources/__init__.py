"""Sources: recordings that arrive by themselves (drop folders, Zoom cloud recordings, a signed "recording ready"
webhook), each file's fate, the calls waiting for a rep, and calls finding their deals by their participants."""

from flask import Blueprint

bp = Blueprint("sources", __name__, url_prefix="/sources", template_folder="templates")

from enable.sources import cli, jobs, views  # noqa: E402,F401  (registers routes, commands and jobs)
