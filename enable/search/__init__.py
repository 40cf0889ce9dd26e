"""Search: the bite index, its backends and its commands."""

from importlib.util import find_spec

from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search", template_folder="templates", cli_group="search")

from enable.search import cli  # noqa: E402,F401  (registers commands on bp)

if find_spec("enable.search.views") is not None:  # the search page (issue 4)
    from enable.search import views  # noqa: F401
