"""Deals from the CRM: CSV import, deal pages, calls and content linked to deals."""

from flask import Blueprint

bp = Blueprint("deals", __name__, url_prefix="/deals", template_folder="templates", cli_group="deals")

from enable.deals import cli, demo, views  # noqa: E402,F401  (registers routes, commands and the demo step)
