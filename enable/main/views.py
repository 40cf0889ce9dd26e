"""Home, language switch, health check."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import text

from enable.auth.models import Role
from enable.extensions import db
from enable.main import bp
from enable.main.dashboard import dashboard_for
from enable.navigation import add_nav_item

add_nav_item("main.home", _l("Home"), Role.REP, order=0)
add_nav_item("auth.users", _l("Users"), Role.ADMIN, order=90)
add_nav_item("auth.teams", _l("Teams"), Role.ADMIN, order=91)
add_nav_item("taxonomy.index", _l("Taxonomy"), Role.ENABLEMENT, order=80)


@bp.get("/")
@login_required
def home():
    return render_template("main/home.html", dashboard=dashboard_for(current_user))


@bp.post("/language")
def language():
    """Switch the interface language (kept in the session, and on the account when signed in)."""
    chosen = request.form.get("locale", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["locale"] = chosen
        if current_user.is_authenticated:
            current_user.locale = chosen
            db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("main.home"))


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
