"""Content health pages: the stale queue, an item's freshness, verify, archive, restore, retire, reports."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.auth.services import list_users
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.main.dashboard import Panel, add_panel
from enable.navigation import add_nav_item
from enable.playbooks import governance, links, links_bp
from enable.playbooks import governance_bp as bp
from enable.playbooks.forms import RetireForm, SettingsForm
from enable.playbooks.jobs import check_links_now
from enable.request_args import query_int

add_nav_item("governance.index", _l("Content health"), Role.ENABLEMENT, order=79)


def _enablement_panel(user: User) -> Panel | None:
    return Panel("playbooks/panel_health.html", governance.counts(utcnow().date(), user), order=20)


def _owner_panel(user: User) -> Panel | None:
    if user.has_role(Role.ENABLEMENT):
        return None  # the content health panel shows their own count too
    rows = governance.stale_items(utcnow().date(), owner_id=user.id)
    return Panel("playbooks/panel_mine.html", {"rows": rows[:5], "total": len(rows)}, order=25) if rows else None


add_panel(Role.ENABLEMENT, _enablement_panel)
add_panel(Role.REP, _owner_panel)


def _item(kind: str, item_id: int):
    return governance.get_item(kind, item_id) or abort(404)


def _back(default: str) -> WerkzeugResponse:
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return redirect(target)
    return redirect(default)


@bp.get("/")
@role_required(Role.ENABLEMENT)
def index():
    today = utcnow().date()
    return render_template("playbooks/health.html", counts=governance.counts(today, current_user))


@bp.get("/stale")
@login_required
def stale():
    today = utcnow().date()
    everyone = current_user.has_role(Role.ENABLEMENT) and request.args.get("mine") != "1"
    rows = governance.stale_items(today, owner_id=None if everyone else current_user.id)
    return render_template("playbooks/stale.html", rows=rows, everyone=everyone, today=today,
                           can_see_all=current_user.has_role(Role.ENABLEMENT))


@bp.get("/<kind>/<int:item_id>")
@login_required
def item(kind: str, item_id: int):
    found = _item(kind, item_id)
    if not found.is_active_content and not current_user.has_role(Role.ENABLEMENT):
        abort(404)
    status = governance.item_status(kind, found, current_user, utcnow().date())
    return render_template("playbooks/item.html", status=status, title=governance.title_of(found),
                           url=governance.url_of(kind, found))


@bp.post("/<kind>/<int:item_id>/verify")
@login_required
def verify(kind: str, item_id: int):
    found = _item(kind, item_id)
    governance.verify(found, current_user, utcnow())
    db.session.commit()
    flash(_("Verified: \"%(title)s\" is fresh for another %(days)s days.", title=governance.title_of(found),
            days=found.interval_days(governance.default_days(kind))), "success")
    return _back(url_for("governance.stale"))


@bp.route("/<kind>/<int:item_id>/settings", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def settings(kind: str, item_id: int):
    found = _item(kind, item_id)
    form = SettingsForm(owner=str(found.owner_id or ""), verifier=str(found.verifier_id or ""),
                        review_interval_days=found.review_interval_days)
    choices = [("", _("Nobody"))] + [(str(u.id), f"{u.name} <{u.email}>") for u in list_users() if u.is_active]
    form.owner.choices = form.verifier.choices = choices
    if form.validate_on_submit():
        try:
            governance.update_settings(found, governance.Settings(
                int(form.owner.data) if form.owner.data else None,
                int(form.verifier.data) if form.verifier.data else None,
                form.review_interval_days.data), current_user)
        except UserError as e:
            flash(e.message, "error")
            return render_template("playbooks/settings.html", form=form, kind=kind, found=found), e.status_code
        db.session.commit()
        flash(_("Review settings saved."), "success")
        return redirect(url_for("governance.item", kind=kind, item_id=item_id))
    return render_template("playbooks/settings.html", form=form, kind=kind, found=found,
                           default_days=governance.default_days(kind))


@bp.post("/<kind>/<int:item_id>/archive")
@role_required(Role.ENABLEMENT)
def archive(kind: str, item_id: int):
    found = _item(kind, item_id)
    governance.archive(found, current_user, utcnow())
    db.session.commit()
    flash(_("Archived: it left lists and search. You can restore it from Content health."), "success")
    return _back(url_for("governance.archived"))


@bp.post("/<kind>/<int:item_id>/restore")
@role_required(Role.ENABLEMENT)
def restore(kind: str, item_id: int):
    found = _item(kind, item_id)
    governance.restore(found, current_user, utcnow())
    db.session.commit()
    flash(_("Restored."), "success")
    return _back(url_for("governance.item", kind=kind, item_id=item_id))


@bp.route("/<kind>/<int:item_id>/retire", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def retire(kind: str, item_id: int):
    found = _item(kind, item_id)
    form = RetireForm()
    if form.validate_on_submit():
        result = governance.retire(found, current_user, utcnow(), remove_links=form.remove_links.data)
        db.session.commit()
        flash(_("Retired. Links removed: %(n)s in %(m)s places.", n=result.links_removed, m=result.sources_changed),
              "success")
        return redirect(url_for("governance.item", kind=kind, item_id=item_id))
    form.remove_links.data = True  # offered, and ticked unless the lead unticks it
    return render_template("playbooks/retire.html", form=form, kind=kind, found=found,
                           title=governance.title_of(found), backlinks=links.backlinks(kind, item_id))


@bp.get("/archive")
@role_required(Role.ENABLEMENT)
def archived():
    today = utcnow().date()
    return render_template("playbooks/archive.html", proposals=governance.archive_proposals(today),
                           inactive=governance.inactive_items(), url_of=governance.url_of, today=today)


def _stale_report_rows() -> tuple[list[governance.Row], str | None, int | None]:
    kind = request.args.get("kind") or None
    owner_id = query_int(request.args, "owner")
    kinds = [kind] if kind in governance.MODELS else list(governance.MODELS)
    return governance.stale_items(utcnow().date(), owner_id=owner_id, kinds=kinds), kind, owner_id


@bp.get("/reports/stale")
@role_required(Role.ENABLEMENT)
def stale_report():
    rows, kind, owner_id = _stale_report_rows()
    by_owner, by_kind = governance.tally(rows)
    owners = [u for u in list_users() if u.is_active]
    return render_template("playbooks/stale_report.html", rows=rows, kind=kind, owner_id=owner_id, owners=owners,
                           by_owner=by_owner, by_kind=by_kind, kinds=governance.KIND_LABELS)


@bp.get("/reports/stale.csv")
@role_required(Role.ENABLEMENT)
def stale_report_csv():
    rows, _kind, _owner = _stale_report_rows()
    return Response(governance.stale_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=stale-content.csv"})


def _link_filters() -> tuple[list[str], str | None, str | None]:
    status = request.args.get("status") or None
    source = request.args.get("source") or None
    statuses = [status] if status in links.REPORTED_STATUSES else list(links.REPORTED_STATUSES)
    return statuses, status, source if source in ("playbook", "asset") else None


@links_bp.get("/")
@role_required(Role.ENABLEMENT)
def report():
    statuses, status, source = _link_filters()
    return render_template("playbooks/links_report.html", rows=governance.link_rows(statuses, source), status=status,
                           source=source, statuses=links.REPORTED_STATUSES)


@links_bp.get("/report.csv")
@role_required(Role.ENABLEMENT)
def report_csv():
    statuses, _status, source = _link_filters()
    return Response(governance.links_csv(governance.link_rows(statuses, source)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=broken-links.csv"})


@links_bp.post("/check")
@role_required(Role.ENABLEMENT)
def check():
    check_links_now()
    flash(_("The link check has started; reload this page in a minute to see the results."), "info")
    return redirect(url_for("links.report"))
