"""Bites: about two minutes of one call, tagged from the taxonomy, with their page and player."""

from flask import Blueprint

bp = Blueprint("bites", __name__, url_prefix="/bites", template_folder="templates", cli_group="bites")

from enable.bites import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
