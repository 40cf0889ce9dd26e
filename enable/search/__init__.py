"""Search: the bite index, its backends, the search page, playlists and the library."""

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

bp = Blueprint("search", __name__, url_prefix="/search", template_folder="templates", cli_group="search")


@bp.record_once
def _check_backend(state: BlueprintSetupState) -> None:
    """At startup, refuse a SEARCH_BACKEND that does not exist or does not fit the database."""
    from enable.search.indexing import check_backend

    check_backend(cast(Flask, state.app))


from enable.search import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
