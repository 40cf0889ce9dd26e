"""Deal pages, the CRM import (upload, preview, column mapping, confirm), call links and "used on this deal"."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.deals import bp, importing, jobs, services
from enable.deals.content import CONTENT_TYPES, item_url
from enable.deals.csv_import import FIELDS, guess_mapping
from enable.deals.forms import (
    ConfirmForm,
    DealSearchForm,
    ImportForm,
    LinkCallForm,
    MarkUsedForm,
    mapping_form,
    mapping_from,
)
from enable.deals.models import DealOutcome
from enable.errors import UserError
from enable.extensions import db
from enable.navigation import add_nav_item
from enable.request_args import parse_id, query_choice, query_int

add_nav_item("deals.index", _l("Deals"), Role.REP, order=60)
bp.add_app_template_global(item_url, "content_url")


@bp.app_template_filter("money")
def money(cents: int | None, currency: str | None = None) -> str:
    """Cents as an amount with two decimals in the reader's locale, and the currency code when known."""
    if cents is None:
        return ""
    text = format_decimal(cents / 100, format="#,##0.00")
    return f"{text} {currency}" if currency else text

PREVIEW_ROWS = 20


def _stash_dir() -> Path:
    return Path(current_app.config["ENABLE_DATA_DIR"]) / "imports"


def _safe_next(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return fallback


@bp.get("/")
@role_required(Role.REP)
def index():
    form = DealSearchForm(request.args)
    owners = services.deal_owners() if services.can_see_all_deals(current_user) else []
    form.owner.choices = [("", _("Any owner"))] + [(str(u.id), u.name) for u in owners]
    filters = services.DealFilters(
        q=(form.q.data or "").strip(), owner_id=query_int(request.args, "owner"),
        outcome=DealOutcome(o) if (o := query_choice(request.args, "outcome", list(DealOutcome))) else None)
    page = db.paginate(services.deals_select(current_user, filters), per_page=50, error_out=False)
    return render_template("deals/list.html", form=form, page=page, owners=owners,
                           call_counts=services.call_counts([d.id for d in page.items]),
                           can_import=current_user.has_role(Role.ENABLEMENT),
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/<int:deal_id>")
@role_required(Role.REP)
def detail(deal_id: int):
    deal = services.get_deal(current_user, deal_id)
    link_form = None
    if services.can_link_calls(current_user):
        link_form = LinkCallForm()
        link_form.call_id.choices = [(c.id, f"{c.title} (#{c.id})") for c in services.linkable_calls(deal)]
    mark_form = MarkUsedForm(deal_id=deal.id, next=url_for("deals.detail", deal_id=deal.id))
    items = services.markable_items()
    mark_form.item.choices = {str(CONTENT_TYPES[t].plural): [(f"{t}:{i}", title) for i, title in rows]
                              for t, rows in items.items()}
    return render_template("deals/detail.html", deal=deal, calls=services.calls_of(deal),
                           used=services.content_used_on(deal), link_form=link_form, mark_form=mark_form,
                           can_link=services.can_link_calls(current_user))


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        token = importing.stash_upload(_stash_dir(), form.file.data.read(), user=current_user,
                                       filename=form.file.data.filename or "", fmt=form.format.data, now=utcnow())
        return redirect(url_for("deals.import_preview", token=token))
    return render_template("deals/import.html", form=form, fields=FIELDS,
                           deal_count=importing.deal_count()), 422 if form.errors else 200


@bp.get("/import/<token>")
@role_required(Role.ENABLEMENT)
def import_preview(token: str):
    stash = importing.read_stash(_stash_dir(), token, user=current_user)
    result, plan = importing.preview_import(stash.data, stash.fmt, stash.mapping)
    form = None
    if result.headers and (plan is None or request.args.get("map")):
        form = mapping_form(result.headers, result.mapping or guess_mapping(result.headers))
    return render_template("deals/preview.html", stash=stash, result=result, plan=plan, mapping_form=form,
                           confirm_form=ConfirmForm(), rows=plan.plans[:PREVIEW_ROWS] if plan else [],
                           fields=FIELDS), 200 if plan else 422


@bp.post("/import/<token>/mapping")
@role_required(Role.ENABLEMENT)
def import_mapping(token: str):
    stash = importing.read_stash(_stash_dir(), token, user=current_user)
    result, _plan = importing.preview_import(stash.data, stash.fmt, stash.mapping)
    form = mapping_form(result.headers, {}, formdata=request.form)
    if not form.validate():
        flash(_("Choose the columns that hold the deal ID and the deal name."), "error")
        return redirect(url_for("deals.import_preview", token=token, map=1))
    importing.choose_mapping(_stash_dir(), stash, mapping_from(form))
    return redirect(url_for("deals.import_preview", token=token))


@bp.post("/import/<token>/confirm")
@role_required(Role.ENABLEMENT)
def import_confirm(token: str):
    stash = importing.read_stash(_stash_dir(), token, user=current_user)
    result, _plan = importing.preview_import(stash.data, stash.fmt, stash.mapping)
    outcome = importing.import_deals(result, actor=current_user, now=utcnow())
    db.session.commit()
    importing.drop_stash(_stash_dir(), token)
    jobs.enqueue_reindex(outcome.changed_outcome_ids)
    flash(_("Imported: %(created)s new, %(updated)s updated, %(rejected)s rejected.", created=outcome.created,
            updated=outcome.updated, rejected=outcome.rejected), "success")
    return render_template("deals/result.html", outcome=outcome, filename=stash.filename)


@bp.post("/import/<token>/cancel")
@role_required(Role.ENABLEMENT)
def import_cancel(token: str):
    importing.read_stash(_stash_dir(), token, user=current_user)
    importing.drop_stash(_stash_dir(), token)
    flash(_("The upload was discarded; nothing was imported."), "info")
    return redirect(url_for("deals.import_upload"))


@bp.post("/<int:deal_id>/calls")
@role_required(Role.ENABLEMENT)
def link_call(deal_id: int):
    deal = services.get_deal(current_user, deal_id)
    form = LinkCallForm()
    if not form.validate_on_submit():
        raise UserError(_("Choose a call to link to this deal."))
    call = services.link_call(deal, form.call_id.data, actor=current_user)
    db.session.commit()
    jobs.enqueue_reindex_calls([call.id])
    flash(_("The call “%(title)s” is linked to this deal.", title=call.title), "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.post("/<int:deal_id>/calls/<int:call_id>/unlink")
@role_required(Role.ENABLEMENT)
def unlink_call(deal_id: int, call_id: int):
    deal = services.get_deal(current_user, deal_id)
    call = services.unlink_call(deal, call_id, actor=current_user)
    db.session.commit()
    jobs.enqueue_reindex_calls([call.id])
    flash(_("The call “%(title)s” is no longer linked to this deal.", title=call.title), "success")
    return redirect(url_for("deals.detail", deal_id=deal.id))


@bp.post("/used")
@role_required(Role.REP)
def mark_used():
    form = MarkUsedForm()
    item_type, item_id = form.item_type.data or "", form.item_id.data
    if not item_type and ":" in (form.item.data or ""):
        item_type, _sep, raw_id = form.item.data.partition(":")
        item_id = parse_id(raw_id)
    if not form.validate_on_submit() or not item_type or item_id is None:
        raise UserError(_("Choose the content and the deal it was used on."))
    _event, created = services.mark_used(current_user, item_type, item_id, form.deal_id.data, now=utcnow())
    db.session.commit()
    flash(_("Marked as used on this deal.") if created else _("This was already marked as used on this deal."),
          "success" if created else "info")
    return redirect(_safe_next(form.next.data, url_for("deals.detail", deal_id=form.deal_id.data)))
