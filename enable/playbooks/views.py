"""Playbook pages: the list, one playbook, writing and editing, history and diffs."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from enable.i18n import default_language, language_choices, language_name, language_tag
from enable.navigation import add_nav_item
from enable.playbooks import bp, governance
from enable.playbooks import services as playbooks
from enable.playbooks.forms import PlaybookForm
from enable.playbooks.models import Playbook
from enable.request_args import query_int
from enable.taxonomy.models import Tag, TagKind
from enable.taxonomy.services import tags_of_kind
from enable.usage import UsageKind, record_usage

add_nav_item("playbooks.index", _l("Playbooks"), Role.REP, order=40)


def _stage_choices() -> list[tuple[str, str]]:
    locale = str(get_locale() or "en")
    return [("", _("No stage"))] + [(t.key, t.name_in(locale)) for t in tags_of_kind(TagKind.STAGE)]


def _visible(playbook_id: int) -> Playbook:
    """The playbook; archived and retired ones only for enablement."""
    playbook = db.get_or_404(Playbook, playbook_id)
    if not playbook.is_active_content and not current_user.has_role(Role.ENABLEMENT):
        abort(404)
    return playbook


@bp.get("/")
@role_required(Role.REP)
def index():
    stage = request.args.get("stage") or None
    asked = (request.args.get("language") or "").strip()[:35]
    language = language_tag(asked) or asked or None  # RU, pt_br: as stored (ru, pt-BR)
    stages = {t.key: t for t in tags_of_kind(TagKind.STAGE)}
    languages = {code: language_name(code) for code in playbooks.playbook_languages()}
    return render_template("playbooks/list.html", playbooks=playbooks.list_playbooks(stage, language=language),
                           stages=stages, stage=stage, languages=languages, language=language,
                           can_edit=current_user.has_role(Role.ENABLEMENT))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def new():
    form = PlaybookForm(language=default_language())
    form.stage.choices = _stage_choices()
    form.language.choices = language_choices()
    if form.validate_on_submit():
        try:
            playbook = playbooks.create_playbook(title=form.title.data, body=form.body.data or "",
                                                 stage=form.stage.data, editor=current_user, now=utcnow(),
                                                 note=form.note.data, language=form.language.data)
        except playbooks.PlaybookInvalid as e:
            flash(e.message, "error")
            return render_template("playbooks/form.html", form=form, playbook=None,
                                   assets=playbooks.attachable_assets()), e.status_code
        db.session.commit()
        flash(_("Playbook created."), "success")
        return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return render_template("playbooks/form.html", form=form, playbook=None, assets=playbooks.attachable_assets())


@bp.get("/<int:playbook_id>")
@role_required(Role.REP)
def detail(playbook_id: int):
    playbook = _visible(playbook_id)
    stage = db.session.scalar(select(Tag).where(Tag.kind == TagKind.STAGE, Tag.key == playbook.stage))
    status = governance.item_status("playbook", playbook, current_user, utcnow().date())
    return render_template("playbooks/detail.html", playbook=playbook, rendered=playbooks.render(playbook),
                           stage=stage, status=status, attachments=playbooks.attachments(playbook))


@bp.post("/<int:playbook_id>/viewed")
@role_required(Role.REP)
def viewed(playbook_id: int):
    """The playbook page's beacon (enable.js), sent once the page is shown: counts the view."""
    record_usage(current_user, UsageKind.VIEW, "playbook", _visible(playbook_id).id)
    db.session.commit()
    return "", 204


@bp.route("/<int:playbook_id>/edit", methods=["GET", "POST"])
@role_required(Role.ENABLEMENT)
def edit(playbook_id: int):
    playbook = db.get_or_404(Playbook, playbook_id)
    form = PlaybookForm(obj=playbook)
    form.stage.choices = _stage_choices()
    form.language.choices = language_choices(also=playbook.language)
    if form.validate_on_submit():
        language_before = playbook.language
        try:
            version = playbooks.update_playbook(playbook, title=form.title.data, body=form.body.data or "",
                                                stage=form.stage.data, editor=current_user, now=utcnow(),
                                                note=form.note.data, requires_ack=form.requires_ack.data,
                                                language=form.language.data)
        except playbooks.PlaybookInvalid as e:
            flash(e.message, "error")
            return render_template("playbooks/form.html", form=form, playbook=playbook,
                                   assets=playbooks.attachable_assets()), e.status_code
        db.session.commit()
        if version is None and playbook.language != language_before:
            flash(_("Saved. Language: %(language)s.", language=language_name(playbook.language)), "success")
        elif version is None:
            flash(_("Nothing changed, so no new version was made."), "info")
        else:
            flash(_("Saved as version %(n)s.", n=version.number), "success")
        return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return render_template("playbooks/form.html", form=form, playbook=playbook,
                           assets=playbooks.attachable_assets())


@bp.get("/<int:playbook_id>/history")
@role_required(Role.REP)
def history(playbook_id: int):
    playbook = _visible(playbook_id)
    return render_template("playbooks/history.html", playbook=playbook, versions=playbooks.versions(playbook))


@bp.get("/<int:playbook_id>/versions/<int:number>")
@role_required(Role.REP)
def version(playbook_id: int, number: int):
    playbook = _visible(playbook_id)
    found = playbooks.version_of(playbook, number) or abort(404)
    return render_template("playbooks/version.html", playbook=playbook, version=found,
                           rendered=playbooks.render(found))


@bp.get("/<int:playbook_id>/diff")
@role_required(Role.REP)
def diff(playbook_id: int):
    playbook = _visible(playbook_id)
    numbers = [v.number for v in playbooks.versions(playbook)]
    new_n = query_int(request.args, "b") or (numbers[0] if numbers else 0)
    old_n = query_int(request.args, "a") or max(new_n - 1, 1)
    old, new_v = playbooks.version_of(playbook, old_n), playbooks.version_of(playbook, new_n)
    if old is None or new_v is None:
        abort(404)
    return render_template("playbooks/diff.html", playbook=playbook, old=old, new=new_v, numbers=numbers,
                           lines=playbooks.diff_versions(old, new_v))
