"""Asset pages: the list, one asset, adding and editing, opening the link or downloading the file."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from enable.navigation import add_nav_item
from enable.playbooks import assets as asset_services
from enable.playbooks import assets_bp as bp
from enable.playbooks import governance
from enable.playbooks.forms import AssetForm
from enable.playbooks.models import Asset, AssetKind
from enable.playbooks.rendering import render_markdown
from enable.request_args import query_int
from enable.taxonomy.services import all_tags, by_kind
from enable.usage import UsageKind, record_usage

add_nav_item("assets.index", _l("Assets"), Role.REP, order=41)


def _tag_choices() -> dict[str, list[tuple[int, str]]]:
    """Every tag as a choice, grouped by kind (an <optgroup> each) and sorted by name."""
    locale = str(get_locale() or "en")
    return {kind.label: [(t.id, t.name_in(locale)) for t in tags] for kind, tags in by_kind(all_tags(), locale)}


def _visible(asset_id: int) -> Asset:
    asset = db.get_or_404(Asset, asset_id)
    if not asset.is_active_content and not current_user.has_role(Role.ENABLEMENT):
        abort(404)
    return asset


def _stored(form: AssetForm) -> asset_services.StoredFile | None:
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return asset_services.store_upload(upload.stream, current_app.config["MEDIA_DIR"],
                                       int(current_app.config["MAX_UPLOAD_MB"]) * 2**20)


@bp.get("/")
@role_required(Role.REP)
def index():
    kind = request.args.get("kind") or None
    kind_value = AssetKind(kind) if kind in {k.value for k in AssetKind} else None
    tag_id = query_int(request.args, "tag")
    query = request.args.get("q", "").strip()
    return render_template("playbooks/asset_list.html", assets=asset_services.list_assets(kind_value, tag_id, query),
                           can_edit=current_user.has_role(Role.ENABLEMENT),
                           kinds=list(AssetKind), kind=kind_value, tag_id=tag_id, q=query, tags=_tag_choices())


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def new():
    form = AssetForm()
    form.tags.choices = _tag_choices()
    if form.validate_on_submit():
        try:
            asset = asset_services.create_asset(
                title=form.title.data, kind=AssetKind(form.kind.data), description=form.description.data or "",
                url=form.url.data, stored=_stored(form), original_filename=getattr(form.file.data, "filename", None),
                tag_ids=form.tags.data or [], creator=current_user, now=utcnow())
        except asset_services.AssetInvalid as e:
            db.session.rollback()
            flash(e.message, "error")
            return render_template("playbooks/asset_form.html", form=form, asset=None), e.status_code
        db.session.commit()
        flash(_("Asset added."), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    return render_template("playbooks/asset_form.html", form=form, asset=None)


@bp.post("/<int:asset_id>/viewed")
@role_required(Role.REP)
def viewed(asset_id: int):
    """The asset page's beacon (enable.js), sent once the page is shown: counts the view."""
    record_usage(current_user, UsageKind.VIEW, "asset", _visible(asset_id).id)
    db.session.commit()
    return "", 204


@bp.get("/<int:asset_id>")
@role_required(Role.REP)
def detail(asset_id: int):
    asset = _visible(asset_id)
    status = governance.item_status("asset", asset, current_user, utcnow().date())
    return render_template("playbooks/asset_detail.html", asset=asset, status=status,
                           description=render_markdown(asset.description).html)


@bp.get("/<int:asset_id>/open")
@role_required(Role.REP)
def open_asset(asset_id: int):
    """Download the file (as an attachment, never shown inline) or go to the link; either is recorded."""
    asset = _visible(asset_id)
    if asset.url:
        if not asset.url.strip().lower().startswith(("http://", "https://")):
            abort(404)  # a link stored by other means (an import, the database) is never followed unless it is web
        record_usage(current_user, UsageKind.VIEW, "asset", asset.id, meta={"opened": "link"})
        db.session.commit()
        return redirect(asset.url)
    path = asset_services.file_path(asset, current_app.config["MEDIA_DIR"]) or abort(404)
    record_usage(current_user, UsageKind.DOWNLOAD, "asset", asset.id)
    db.session.commit()
    response = send_file(path, mimetype=asset.content_type, as_attachment=True,
                         download_name=asset.original_filename or path.name, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:asset_id>/edit", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def edit(asset_id: int):
    asset = db.get_or_404(Asset, asset_id)
    form = AssetForm(obj=asset, kind=asset.kind.value, tags=[t.tag_id for t in asset.tags])
    form.tags.choices = _tag_choices()
    if form.validate_on_submit():
        try:
            asset_services.update_asset(
                asset, title=form.title.data, kind=AssetKind(form.kind.data), description=form.description.data or "",
                url=form.url.data, stored=_stored(form), original_filename=getattr(form.file.data, "filename", None),
                tag_ids=form.tags.data or [], editor=current_user, now=utcnow())
        except asset_services.AssetInvalid as e:
            db.session.rollback()
            flash(e.message, "error")
            return render_template("playbooks/asset_form.html", form=form, asset=asset), e.status_code
        db.session.commit()
        flash(_("Asset saved."), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    return render_template("playbooks/asset_form.html", form=form, asset=asset)
