"""Bites: about two minutes of one call, tagged from the taxonomy."""

from importlib.util import find_spec

from flask import Blueprint

bp = Blueprint("bites", __name__, url_prefix="/bites", template_folder="templates", cli_group="bites")

from enable.bites import cli  # noqa: E402,F401  (registers commands on bp)

if find_spec("enable.bites.views") is not None:  # the bite page (issue 4)
    from enable.bites import views  # noqa: F401
