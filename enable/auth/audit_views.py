"""The admin page of the audit log: who did what, filtered by actor, action and date, a page at a time."""

from __future__ import annotations

import re
from datetime import date

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from enable import audit
from enable.auth import bp
from enable.auth import services as accounts
from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.navigation import add_nav_item

add_nav_item("auth.audit_log", _l("Audit log"), Role.ADMIN, order=95)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    actor = request.args.get("actor", "")
    chosen = audit.AuditFilter(
        actor_id=int(actor) if re.fullmatch(r"[0-9]{1,9}", actor) else None,  # ids fit a 32-bit integer
        action=(request.args.get("action") or "").strip()[:60] or None,
        since=_day(request.args.get("since")),
        until=_day(request.args.get("until")),
    )
    page = audit.query_events(chosen, page=request.args.get("page", 1, type=int))
    args = {"actor": chosen.actor_id or "", "action": chosen.action or "",
            "since": chosen.since.isoformat() if chosen.since else "",
            "until": chosen.until.isoformat() if chosen.until else ""}
    actions = audit.known_actions()
    families = sorted({a.split(".", 1)[0] for a in actions})
    return render_template("auth/audit.html", page=page, chosen=chosen, args=args, users=accounts.list_users(),
                           actions=actions, families=families, action_label=audit.action_label)
