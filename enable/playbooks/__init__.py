"""Playbooks, assets and content governance: owners, review intervals, verification, link checking, reports.

Four blueprints live here: `playbooks` (/playbooks), `assets` (/assets, the paths internal links name),
`governance` (/governance: stale queue, archive, retire, reports) and `links` (/links: the broken-links report;
its CLI group is `flask links check`).
"""

from flask import Blueprint

bp = Blueprint("playbooks", __name__, url_prefix="/playbooks", template_folder="templates", cli_group=None)
assets_bp = Blueprint("assets", __name__, url_prefix="/assets", template_folder="templates", cli_group=None)
governance_bp = Blueprint("governance", __name__, url_prefix="/governance", template_folder="templates",
                          cli_group=None)
links_bp = Blueprint("links", __name__, url_prefix="/links", template_folder="templates", cli_group="links")

from enable.playbooks import asset_views, cli, content, governance_views, jobs, views  # noqa: E402,F401
