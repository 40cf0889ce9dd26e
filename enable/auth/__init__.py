"""Accounts: sign-in, roles, users and teams."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates", cli_group="users")

from enable.auth import audit_views, cli, views  # noqa: E402,F401  (registers routes and commands on bp)
