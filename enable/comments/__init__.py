"""Comments at the second: threaded notes on a moment of a call (written from the call page or a bite page),
with @mentions, team or private visibility, and moderation by enablement."""

from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/comments", template_folder="templates", cli_group=None)

from enable.comments import views  # noqa: E402,F401  (registers routes and the page panels on bp)
