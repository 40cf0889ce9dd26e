"""Search: the bite index, its backends, the search page, playlists and the library."""

from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search", template_folder="templates", cli_group="search")

from enable.search import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
