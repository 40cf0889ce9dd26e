"""Notifications: a message for one user with a link, shown behind the bell in the top bar, and sent by email at
once, in a daily digest, or not at all, as each user chose for each kind."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates", cli_group=None)

from enable.notifications import jobs, views  # noqa: E402,F401  (registers routes, jobs and the after-commit hook)
from enable.notifications.delivery import in_locale_of  # noqa: E402
from enable.notifications.models import EmailPreference, Notification, OutboxMail  # noqa: E402
from enable.notifications.services import mark_all_read, mark_read, notify, recent, unread_count  # noqa: E402

__all__ = ["EmailPreference", "Notification", "OutboxMail", "bp", "in_locale_of", "mark_all_read", "mark_read",
           "notify", "recent", "unread_count"]
