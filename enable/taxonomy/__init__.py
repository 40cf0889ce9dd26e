"""The taxonomy: stages, negotiation phases, objections, competitors, products, personas, industries, topics."""

from flask import Blueprint

bp = Blueprint("taxonomy", __name__, url_prefix="/taxonomy", template_folder="templates")

from enable.taxonomy import views  # noqa: E402,F401
