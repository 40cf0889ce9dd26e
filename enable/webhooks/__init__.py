"""Webhooks: admins register receiver URLs for Enable's events; each delivery is signed, retried and logged."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks", template_folder="templates", cli_group=None)

from enable.webhooks import jobs, services, views  # noqa: E402,F401  (registers routes, jobs and the outbox)
