"""Playbooks and assets (read): the active ones for everybody, archived and retired ones for enablement."""

from __future__ import annotations

from flask import current_app, request, send_file, url_for
from flask_babel import gettext as _

from enable.api.core import (
    LIST_PARAMS,
    MAX_ID,
    Param,
    Reply,
    arg_choice,
    arg_int,
    list_of,
    not_found,
    ok,
    operation,
    page_of_list,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import asset_json, playbook_json
from enable.auth.models import Role
from enable.extensions import db
from enable.i18n import language_tag
from enable.playbooks import assets as asset_services
from enable.playbooks import services as playbooks
from enable.playbooks.models import Asset, AssetKind, Playbook
from enable.reasons import N_
from enable.usage import UsageKind, record_usage

PLAYBOOK_REF = {"$ref": "#/components/schemas/Playbook"}
ASSET_REF = {"$ref": "#/components/schemas/Asset"}


@operation("GET", "/playbooks", role=Role.REP, tag=N_("Playbooks"), summary=N_("List the active playbooks"),
           params=[Param("stage", {"type": "string", "maxLength": 60}, N_("Only playbooks of this stage key.")),
                   Param("language", {"type": "string", "maxLength": 35},
                         N_("Only playbooks written in this language (a BCP 47 tag: en, ru).")),
                   *LIST_PARAMS],
           replies={200: ok(list_of({"$ref": "#/components/schemas/PlaybookSummary"}))},
           description=N_("In the sales stages' order, then by title."))
def playbooks_list():
    stage = (request.args.get("stage") or "").strip()[:60] or None
    asked = (request.args.get("language") or "").strip()[:35]
    language = language_tag(asked) or asked or None  # RU, pt_br: as stored (ru, pt-BR)
    return reply(page_of_list(playbooks.list_playbooks(stage, language=language), playbook_json))


def _visible(model, item_id: int):
    item = db.session.get(model, item_id)
    if item is None or not (item.is_active_content or user().has_role(Role.ENABLEMENT)):
        raise not_found()
    return item


@operation("GET", "/playbooks/<int:playbook_id>", role=Role.REP, tag=N_("Playbooks"), summary=N_("Get a playbook"),
           replies={200: ok(PLAYBOOK_REF)},
           description=N_("With its Markdown, the rendered (sanitised) HTML and the ids of its attached assets."))
def playbooks_get(playbook_id: int):
    playbook = _visible(Playbook, playbook_id)
    return reply(playbook_json(playbook, full=True, html=playbooks.render(playbook).html,
                               attachments=[a.id for a in playbooks.attachments(playbook)]))


@operation("GET", "/assets", role=Role.REP, tag=N_("Assets"), summary=N_("List the active assets"),
           params=[Param("kind", {"type": "string", "enum": [k.value for k in AssetKind]}, N_("Only this kind.")),
                   Param("tag", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                         N_("Only assets with this tag id.")),
                   Param("q", {"type": "string", "maxLength": 200}, N_("Words in the title.")),
                   *LIST_PARAMS],
           replies={200: ok(list_of(ASSET_REF))},
           description=N_("Newest first."))
def assets_list():
    kind = arg_choice("kind", [k.value for k in AssetKind])
    found = asset_services.list_assets(AssetKind(kind) if kind else None, arg_int("tag"),
                                       (request.args.get("q") or "").strip()[:200] or None)
    return reply(page_of_list(found, _asset))


def _asset(asset: Asset) -> dict:
    link = url_for("api.assets_file", asset_id=asset.id, _external=True) if asset.is_file else None
    return asset_json(asset, link)


@operation("GET", "/assets/<int:asset_id>", role=Role.REP, tag=N_("Assets"), summary=N_("Get an asset"),
           replies={200: ok(ASSET_REF)},
           description=N_("A link asset carries its url; a file asset the address of its download on the site."))
def assets_get(asset_id: int):
    return reply(_asset(_visible(Asset, asset_id)))



FILE_TYPES = [asset_services.PDF, asset_services.DOCX, asset_services.PPTX, asset_services.XLSX, asset_services.PNG,
              asset_services.JPEG, asset_services.GIF, asset_services.WEBP]


@operation("GET", "/assets/<int:asset_id>/file", role=Role.REP, tag=N_("Assets"),
           summary=N_("Download an asset's file"),
           replies={200: Reply(N_("The file, as an attachment; counted as a download in the usage report."),
                               {t.content_type: {"type": "string", "format": "binary"} for t in FILE_TYPES})},
           description=N_("Only uploaded files; a link asset has its url instead (404 here)."))
def assets_file(asset_id: int):
    asset = _visible(Asset, asset_id)
    path = asset_services.file_path(asset, current_app.config["MEDIA_DIR"])
    if path is None:
        raise not_found(_("This asset has no file; it is a link (see its url)."))
    record_usage(user(), UsageKind.DOWNLOAD, "asset", asset.id, meta={"source": "api"})
    db.session.commit()
    response = send_file(path, mimetype=asset.content_type, as_attachment=True,
                         download_name=asset.original_filename or path.name, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"  # the file is the token holder's, for no shared cache
    return response
