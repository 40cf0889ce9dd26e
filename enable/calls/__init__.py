"""Calls: upload recordings, follow their processing, play them with their transcript."""

from flask import Blueprint

bp = Blueprint("calls", __name__, url_prefix="/calls", template_folder="templates", cli_group="calls")

from enable.calls import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
