"""The search page, the library by stage and objection, and playlists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.database import commit_if_possible
from enable.errors import UserError
from enable.extensions import db
from enable.main.dashboard import Panel, add_panel
from enable.navigation import add_nav_item
from enable.request_args import parse_id, query_int
from enable.search import ask as ask_service
from enable.search import bp, demo, services
from enable.search import playlists as lists
from enable.search.forms import (
    AddToPlaylistForm,
    PlaylistEditForm,
    PlaylistForm,
    PlaylistFromSearchForm,
    parse_search_args,
    search_args,
)
from enable.search.index import SearchQuery
from enable.usage import UsageKind, record_usage

add_nav_item("search.index", _l("Search"), Role.REP, order=10)
add_nav_item("search.browse", _l("Library"), Role.REP, order=11)


def _search_panel(user: User) -> Panel:
    return Panel("search/_panel.html", {"best": services.best_examples(limit=5)}, order=10)


add_panel(Role.REP, _search_panel)
# Registered with the blueprint (not at import) so the step runs after the sample calls are imported.
bp.record_once(lambda _state: demo.register())


def _locale() -> str:
    return str(get_locale() or "en")


def _linker(q: SearchQuery) -> Callable[..., str]:
    """A function giving the URL of this search with some arguments changed (None drops one)."""
    base = search_args(q)

    def link(**changes: Any) -> str:
        args: dict[str, Any] = {k: base.getlist(k) for k in base}
        for key, value in changes.items():
            key = key.rstrip("_")  # from_ stands for "from", a Python keyword
            if value is None:
                args.pop(key, None)
            else:
                args[key] = value
        return url_for("search.index", **args)

    return link


@bp.get("/")
@role_required(Role.REP)
def index():
    parsed = parse_search_args(request.args)
    q, link = parsed.query, _linker(parsed.query)
    try:
        page = services.search_bites(q, current_user, _locale(), summaries=True)
    except services.SearchUnavailable as e:
        return render_template("search/index.html", q=q, page=None, problems=[e.message], link=link), e.status_code
    drops = [(d, link(from_=None, to=None) if d.field is None else link(**{d.field: None})) for d in page.drops]
    save_form = PlaylistFromSearchForm(name=q.text[:80] or None,
                                       search=urlencode(list(search_args(q).items(multi=True))))
    clear_url = url_for("search.index", q=q.text or None, sort=None if q.sort == "relevance" else q.sort)
    # Render before committing the search log: a commit expires the page's bites, calls and tags, which the
    # template would then reload one query at a time. No autoflush, so the log row's write lock (SQLite) is taken
    # only at the commit, not for the whole rendering.
    with db.session.no_autoflush:
        html = render_template("search/index.html", q=q, page=page, problems=parsed.problems, link=link,
                               drops=drops, save_form=save_form, clear_url=clear_url)
    commit_if_possible("search log")
    return html


@bp.get("/ask")
@role_required(Role.REP)
def ask():
    """Ask the library a question: the moments that answer it best, grouped by rep (see ``search.ask``)."""
    question = (request.args.get("q") or "").replace("\x00", "").strip()[:ask_service.QUESTION_MAX_CHARS]
    answer, problem, status = None, None, 200
    if question:
        try:
            answer = ask_service.ask_library(question, current_user)
        except services.SearchUnavailable as e:
            problem, status = e.message, e.status_code
    with db.session.no_autoflush:
        html = render_template("search/ask.html", question=question, answer=answer, problem=problem)
    commit_if_possible("search log")
    return html, status


@bp.get("/browse")
@role_required(Role.REP)
def browse():
    shelves = services.library_shelves(_locale())
    return render_template("search/browse.html", shelves=shelves, best=services.best_examples(limit=10))


def _playlist_or_404(playlist_id: int):
    try:
        return lists.get_playlist(playlist_id, current_user)
    except lists.PlaylistNotFound:
        abort(404)


def _back_to(playlist_id: int):
    return redirect(url_for("search.playlist", playlist_id=playlist_id))


@bp.get("/playlists")
@role_required(Role.REP)
def playlists():
    return render_template("search/playlists.html", playlists=lists.visible_playlists(current_user),
                           form=PlaylistForm())


@bp.post("/playlists")
@role_required(Role.REP)
def playlist_create():
    form = PlaylistForm()
    if not form.validate_on_submit():
        flash(_("Give the playlist a name of at most %(n)d characters.", n=lists.NAME_MAX), "error")
        return render_template("search/playlists.html", playlists=lists.visible_playlists(current_user),
                               form=form), 422
    playlist = lists.create_playlist(current_user, form.name.data, form.description.data)
    bite = db.session.get(Bite, parsed) if (parsed := parse_id(form.bite_id.data)) is not None else None
    if bite is not None:
        lists.add_bite(playlist, bite, current_user)
    db.session.commit()
    flash(_("Playlist “%(name)s” created.", name=playlist.name), "success")
    if bite is not None:
        return redirect(url_for("bites.detail", bite_id=bite.id))
    return _back_to(playlist.id)


@bp.post("/playlists/from-search")
@role_required(Role.REP)
def playlist_from_search():
    form = PlaylistFromSearchForm()
    parsed = parse_search_args(MultiDict(parse_qsl(form.search.data or "")))
    if not form.validate_on_submit():
        flash(_("Name the playlist and keep between 1 and %(n)d results.", n=lists.MAX_ITEMS), "error")
        return redirect(url_for("search.index", **search_args(parsed.query).to_dict(flat=False)))
    try:
        playlist = lists.playlist_from_search(current_user, form.name.data, parsed.query, form.limit.data)
    except UserError as e:
        flash(e.message, "error")
        return redirect(url_for("search.index", **search_args(parsed.query).to_dict(flat=False)))
    db.session.commit()
    flash(_("Playlist “%(name)s” created with %(n)d bites.", name=playlist.name, n=len(playlist.items)), "success")
    return _back_to(playlist.id)


@bp.get("/playlists/<int:playlist_id>")
@role_required(Role.REP)
def playlist(playlist_id: int):
    playlist = _playlist_or_404(playlist_id)
    return render_template("search/playlist.html", playlist=playlist,
                           can_edit=lists.can_edit(current_user, playlist),
                           can_share=lists.can_share(current_user, playlist),
                           form=PlaylistEditForm(obj=playlist))


@bp.get("/playlists/<int:playlist_id>/play")
@role_required(Role.REP)
def playlist_play(playlist_id: int):
    playlist = _playlist_or_404(playlist_id)
    if not playlist.items:
        flash(_("This playlist has no bites yet; add some from a bite page or a search."), "info")
        return _back_to(playlist.id)
    return render_template("search/play.html", playlist=playlist, deal_id=query_int(request.args, "deal"))


@bp.post("/playlists/<int:playlist_id>/viewed")
@role_required(Role.REP)
def playlist_viewed(playlist_id: int):
    """The playlist player's beacon (enable.js), sent once the page is shown: counts the view."""
    record_usage(current_user, UsageKind.VIEW, "playlist", _playlist_or_404(playlist_id).id)
    db.session.commit()
    return "", 204


def _change(playlist_id: int, work: Callable[[Any], object], done: str | None = None):
    """Load a playlist the user may see, apply a change, commit and go back to it; errors become flashes."""
    playlist = _playlist_or_404(playlist_id)
    try:
        work(playlist)
    except UserError as e:
        db.session.rollback()
        if e.status_code == 403:
            abort(403)
        flash(e.message, "error")
        return _back_to(playlist_id)
    db.session.commit()
    if done:
        flash(done, "success")
    return _back_to(playlist_id)


@bp.post("/playlists/<int:playlist_id>/edit")
@role_required(Role.REP)
def playlist_edit(playlist_id: int):
    form = PlaylistEditForm()
    if not form.validate_on_submit():
        flash(_("Give the playlist a name of at most %(n)d characters.", n=lists.NAME_MAX), "error")
        return _back_to(playlist_id)
    return _change(playlist_id, lambda p: lists.update_playlist(p, current_user, form.name.data,
                                                                form.description.data), _("Playlist saved."))


@bp.post("/playlists/items")
@role_required(Role.REP)
def playlist_add():
    form = AddToPlaylistForm()
    bite_id = form.bite_id.data or ""
    bite = db.session.get(Bite, parsed) if (parsed := parse_id(bite_id)) is not None else None
    if bite is None or not form.validate_on_submit():
        abort(404 if bite is None else 400)
    try:
        playlist = lists.get_playlist(form.playlist_id.data, current_user)
        lists.add_bite(playlist, bite, current_user)
    except UserError as e:
        db.session.rollback()
        if e.status_code in (403, 404):
            abort(e.status_code)
        flash(e.message, "error")
        return redirect(url_for("bites.detail", bite_id=bite.id))
    db.session.commit()
    flash(_("Added to “%(name)s”.", name=playlist.name), "success")
    return redirect(url_for("bites.detail", bite_id=bite.id))


@bp.post("/playlists/<int:playlist_id>/items/<int:item_id>/move")
@role_required(Role.REP)
def playlist_move(playlist_id: int, item_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    return _change(playlist_id, lambda p: lists.move_item(p, item_id, offset, current_user))


@bp.post("/playlists/<int:playlist_id>/order")
@role_required(Role.REP)
def playlist_reorder(playlist_id: int):
    ids = [i for v in request.form.getlist("item_id") if (i := parse_id(v)) is not None]
    return _change(playlist_id, lambda p: lists.reorder(p, ids, current_user))


@bp.post("/playlists/<int:playlist_id>/items/<int:item_id>/remove")
@role_required(Role.REP)
def playlist_remove_item(playlist_id: int, item_id: int):
    return _change(playlist_id, lambda p: lists.remove_item(p, item_id, current_user), _("Bite removed."))


@bp.post("/playlists/<int:playlist_id>/share")
@role_required(Role.REP)
def playlist_share(playlist_id: int):
    shared = request.form.get("shared") == "1"
    done = _("Shared with your team.") if shared else _("The playlist is private again.")
    return _change(playlist_id, lambda p: lists.set_shared(p, current_user, shared), done)


@bp.post("/playlists/<int:playlist_id>/delete")
@role_required(Role.REP)
def playlist_delete(playlist_id: int):
    playlist = _playlist_or_404(playlist_id)
    try:
        lists.delete_playlist(playlist, current_user)
    except UserError as e:
        abort(e.status_code)
    db.session.commit()
    flash(_("Playlist deleted."), "success")
    return redirect(url_for("search.playlists"))

