"""The bite page: player, transcript, tags with evidence, curation, sharing and usage beacons."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.bites import bp, curation, editing
from enable.bites import review as moments
from enable.bites.models import Bite, MomentReview
from enable.bites.page import bite_page, load_bite
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.navigation import add_nav_item
from enable.playbooks import governance
from enable.request_args import MAX_ID, query_int
from enable.search import playlists as lists
from enable.search.forms import AddToPlaylistForm, PlaylistForm
from enable.search.indexing import index_bites, index_edit

log = logging.getLogger(__name__)

add_nav_item("bites.review", _l("Review trackers"), Role.ENABLEMENT, order=78)


@bp.app_template_filter("clock")
def clock(seconds: object) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour (whole seconds; None and non-numbers are 0:00)."""
    try:
        s = int(seconds or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        try:
            s = int(float(seconds))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            s = 0
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@bp.app_template_filter("call_time")
def call_time(seconds: float, up: bool = False) -> str:
    """Seconds as m:ss.s (tenths rounded down, or up with `up`), as the trim form reads them back."""
    tenths = math.ceil(seconds * 10 - 1e-6) if up else math.floor(seconds * 10 + 1e-6)
    whole, tenth = divmod(max(tenths, 0), 10)
    return f"{clock(whole)}.{tenth}"


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _id(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and 0 < number <= MAX_ID and number.is_integer() else None


def _visible_playlist(playlist_id: int | None) -> int | None:
    if playlist_id is None:
        return None
    try:
        return lists.get_playlist(playlist_id, current_user).id
    except lists.PlaylistNotFound:
        return None


def _add_to_playlist_form(bite: Bite) -> AddToPlaylistForm | None:
    """The "add to playlist" form, or None when the user owns no playlist yet."""
    mine = lists.editable_playlists(current_user)
    if not mine:
        return None
    form = AddToPlaylistForm(bite_id=str(bite.id))
    form.playlist_id.choices = [(p.id, p.name) for p in mine]
    return form


@bp.get("/<int:bite_id>")
@role_required(Role.REP)
def detail(bite_id: int):
    bite = load_bite(bite_id)
    if bite is None:
        abort(404)
    page = bite_page(bite, with_addable=current_user.has_role(Role.ENABLEMENT),
                     with_split_points=editing.can_curate(current_user, bite.call))
    opens_at = _number(request.args.get("t"))
    start = opens_at if opens_at is not None and bite.start_s <= opens_at <= bite.end_s else bite.start_s
    deal_id = query_int(request.args, "deal")
    # The view is counted by the page's beacon (viewed, below), never by fetching the page.
    with db.session.no_autoflush:
        html = render_template(
            "bites/detail.html", page=page, bite=bite, call=bite.call, start=start,
            deal=curation.deal_for_usage(deal_id, current_user),
            add_form=_add_to_playlist_form(bite), new_form=PlaylistForm(bite_id=str(bite.id)),
            can_tag=current_user.has_role(Role.ENABLEMENT), can_mark_best=current_user.has_role(Role.MANAGER),
            # The deals capability is optional: without it the page offers no "used on this deal" button.
            can_mark_used="deals.mark_used" in current_app.view_functions,
            freshness=governance.item_status("bite", bite, current_user, utcnow().date()),
            can_curate=editing.can_curate(current_user, bite.call),
        )
    return html


@bp.post("/<int:bite_id>/viewed")
@role_required(Role.REP)
def viewed(bite_id: int):
    """The bite page's beacon (enable.js), sent once the page is shown: counts the view (on ?deal=, if any)."""
    bite = load_bite(bite_id)
    if bite is None:
        abort(404)
    curation.record_view(bite, current_user, query_int(request.args, "deal"))
    db.session.commit()
    return "", 204


@bp.post("/<int:bite_id>/play")
@role_required(Role.REP)
def play(bite_id: int):
    """Beacon from the player: seconds listened since the last beacon, and the deal or playlist it was played for."""
    bite = db.get_or_404(Bite, bite_id)
    sent = request.get_json(silent=True) if request.is_json else request.form
    data: Mapping[str, Any] = sent if isinstance(sent, Mapping) else {}
    seconds = _number(data.get("seconds"))
    if seconds is None or seconds < 0:
        return {"error": {"code": 400, "message": _("Send the seconds listened as a number.")}}, 400
    event = curation.record_play(bite, current_user, seconds, deal_id=_id(data.get("deal_id")),
                                 playlist_id=_visible_playlist(_id(data.get("playlist_id"))),
                                 source=str(data.get("source") or "")[:20] or None)
    db.session.commit()
    return {"recorded": event is not None, "seconds": event.seconds if event else 0}


@bp.post("/<int:bite_id>/share")
@role_required(Role.REP)
def share(bite_id: int):
    bite = db.get_or_404(Bite, bite_id)
    at = curation.share_second(bite, _number(request.form.get("t")))
    curation.record_share(bite, current_user, at)
    db.session.commit()
    link = url_for("bites.detail", bite_id=bite.id, t=at, _external=True)
    if request.accept_mimetypes.best == "application/json":
        return {"url": link}
    flash(_("Share this link: %(url)s", url=link), "success")
    return redirect(url_for("bites.detail", bite_id=bite.id, t=at))


def _reindex(bite: Bite) -> None:
    """Bring the bite's index entry up to date after a committed change."""
    try:
        index_bites([bite.id])
    except Exception:  # The change is saved either way; a rebuild will carry it to search.
        log.exception("bite %s changed but could not be re-indexed", bite.id)
        flash(_("Saved, but search will show the change only after the index is rebuilt."), "info")


def _curate(bite_id: int, change, done: str):
    bite = load_bite(bite_id)
    if bite is None:
        abort(404)
    try:
        change(bite)
    except UserError as e:
        db.session.rollback()
        if e.status_code in (403, 404):
            abort(e.status_code)
        flash(e.message, "error")
        return redirect(url_for("bites.detail", bite_id=bite_id))
    db.session.commit()
    _reindex(bite)
    flash(done, "success")
    return redirect(url_for("bites.detail", bite_id=bite_id))


@bp.post("/<int:bite_id>/tags")
@role_required(Role.ENABLEMENT)
def tag_add(bite_id: int):
    tag_id = _id(request.form.get("tag_id"))
    if tag_id is None:
        abort(400)
    return _curate(bite_id, lambda b: curation.add_tag(b, tag_id, current_user), _("Tag added."))


@bp.post("/<int:bite_id>/tags/<int:tag_id>/remove")
@role_required(Role.ENABLEMENT)
def tag_remove(bite_id: int, tag_id: int):
    return _curate(bite_id, lambda b: curation.remove_tag(b, tag_id, current_user),
                   _("Tag removed; retagging will not add it back."))


@bp.post("/<int:bite_id>/best")
@role_required(Role.MANAGER)
def best(bite_id: int):
    is_best = request.form.get("best") == "1"
    done = _("Marked as a best example; it now ranks first in search.") if is_best else _("No longer a best example.")
    return _curate(bite_id, lambda b: curation.set_best(b, current_user, is_best), done)


def _edit(bite_id: int, change, done: str):
    """Apply a bite edit (editing.*): commit, then bring the index up to date; a clear message when it cannot."""
    bite = load_bite(bite_id)
    if bite is None:
        abort(404)
    try:
        result = change(bite)
    except UserError as e:
        db.session.rollback()
        if e.status_code == 403:
            abort(403)
        flash(e.message, "error")
        if isinstance(e, editing.BiteGone):
            return redirect(url_for("calls.detail", call_id=bite.call_id))
        return redirect(url_for("bites.detail", bite_id=bite_id))
    shown = result.bite.id
    db.session.commit()
    try:
        index_edit(result.reindex, result.removed, result.call_id)
    except Exception:  # The change is saved either way; a rebuild will carry it to search.
        log.exception("bites %s changed but could not be re-indexed", result.reindex)
        flash(_("Saved, but search will show the change only after the index is rebuilt."), "info")
    flash(done, "success")
    return redirect(url_for("bites.detail", bite_id=shown))


@bp.post("/<int:bite_id>/rename")
@role_required(Role.MANAGER)
def rename(bite_id: int):
    title = request.form.get("title", "")
    return _edit(bite_id, lambda b: editing.rename(b, title, current_user),
                 _("Renamed; retagging and re-running the call keep this title."))


@bp.post("/<int:bite_id>/trim")
@role_required(Role.MANAGER)
def trim(bite_id: int):
    start, end = _seconds(request.form.get("start")), _seconds(request.form.get("end"))
    if start is None or end is None:
        flash(_("Give the start and the end as seconds (95.5) or minutes and seconds (1:35.5)."), "error")
        return redirect(url_for("bites.detail", bite_id=bite_id))
    return _edit(bite_id, lambda b: editing.trim(b, start, end, current_user),
                 _("Trimmed to the nearest word boundaries."))


@bp.post("/<int:bite_id>/split")
@role_required(Role.MANAGER)
def split(bite_id: int):
    at = _number(request.form.get("at_word"))
    if at is None or not at.is_integer() or not 0 <= at <= MAX_ID:
        flash(_("Choose a sentence of this bite, after its first, to split before."), "error")
        return redirect(url_for("bites.detail", bite_id=bite_id))
    return _edit(bite_id, lambda b: editing.split(b, int(at), current_user),
                 _("Split in two: this is the first part; the second follows it."))


@bp.post("/<int:bite_id>/merge")
@role_required(Role.MANAGER)
def merge(bite_id: int):
    return _edit(bite_id, lambda b: editing.merge_next(b, current_user),
                 _("Merged with the next bite; what named it now names this one."))


def _seconds(value: object) -> float | None:
    """Seconds given as 95.5, 1:35.5 or 1:01:35 (a call time), or None."""
    parts = str(value or "").strip().replace(",", ".").split(":")
    if len(parts) > 3 or len(str(value or "")) > 20:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in numbers) or any(n >= 60 for n in numbers[1:]):  # type: ignore[operator]
        return None
    total = 0.0
    for n in numbers:
        total = total * 60 + n  # type: ignore[operator]
    return total


@bp.get("/review")
@role_required(Role.ENABLEMENT)
def review():
    queues = moments.review_queues()
    tag_id = _id(request.args.get("tag")) or (queues[0].tag.id if queues else None)
    pending = moments.pending_moments(tag_id) if tag_id else []
    return render_template("bites/review.html", queues=queues, tag_id=tag_id, moments=pending)


@bp.post("/review/<int:bite_tag_id>")
@role_required(Role.ENABLEMENT)
def review_decide(bite_tag_id: int):
    decision = {"confirm": MomentReview.CONFIRMED, "reject": MomentReview.REJECTED}.get(
        request.form.get("decision", ""))
    if decision is None:
        abort(400)
    try:
        row = moments.review_moment(bite_tag_id, current_user, decision)
    except UserError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("bites.review", tag=_id(request.form.get("tag"))))
    tag_id, bite = row.tag_id, row.bite
    db.session.commit()
    if decision == MomentReview.REJECTED:
        _reindex(bite)
        flash(_("Rejected: the tag is off this bite, and similar sentences will not be tagged after the next "
                "retag."), "success")
    else:
        flash(_("Confirmed: the tag stays on this bite, and its sentence is now an example of the tracker."), "success")
    return redirect(url_for("bites.review", tag=tag_id))
