"""Backup, restore and full export: `flask export PATH`, `flask backup PATH`, `flask restore PATH`, and the admin
page that downloads an export."""

from flask import Blueprint

bp = Blueprint("backup", __name__, url_prefix="/backup", template_folder="templates", cli_group=None)

from enable.backup import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
