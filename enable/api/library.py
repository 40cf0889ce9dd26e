"""Bites (search with the site's query syntax and facets, get, tags) and playlists."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _

from enable.api.core import (
    LIST_PARAMS,
    MAX_ID,
    Body,
    Param,
    Reply,
    encode_cursor,
    invalid,
    json_body,
    list_of,
    not_found,
    ok,
    operation,
    page_of_sorted,
    read_cursor,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import BOOL, DAY_IN, INT, NUM, STR, bite_json, locale, null, obj, playlist_json
from enable.auth.models import Role
from enable.bites import curation, editing
from enable.bites.models import Bite
from enable.bites.page import load_bite
from enable.database import commit_if_possible
from enable.extensions import db
from enable.reasons import N_
from enable.search import ask
from enable.search import playlists as lists
from enable.search import services as search
from enable.search.forms import QUERY_MAX_CHARS, VALUES_PER_FILTER, parse_search_args
from enable.search.index import FILTER_FIELDS, SORTS
from enable.search.indexing import index_bites, index_edit

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAG = N_("Bites")
BITE_REF = {"$ref": "#/components/schemas/Bite"}
PLAYLIST_REF = {"$ref": "#/components/schemas/Playlist"}

FACET_FILTER = N_("Facet filter on %(facet)s (repeat for OR within the facet)")  # one per facet: a template
_FILTER_PARAMS = [Param(name, {"type": "array", "items": {"type": "string", "maxLength": 200},
                               "maxItems": VALUES_PER_FILTER},
                        FACET_FILTER % {"facet": name}) for name in FILTER_FIELDS]
FACET = obj({"field": STR, "label": STR, "options": {"type": "array", "items": obj(
    {"value": STR, "label": STR, "count": INT, "selected": BOOL})}})
SEARCH = obj({"data": {"type": "array", "items": obj({"bite": BITE_REF, "snippet_html": STR})},
              "next_cursor": null(STR), "total": INT, "facets": {"type": "array", "items": FACET},
              "suggestion": null(STR), "error": null(STR), "problems": {"type": "array", "items": STR}})


@operation("GET", "/bites", role=Role.REP, tag=TAG, summary=N_("Search bites"),
           description=N_("The search page's query syntax (words, \"phrases\", OR, -exclusions) and facets; the first "
                          "page of a search is logged for the search-gap report like a search on the site."),
           params=[Param("q", {"type": "string", "maxLength": QUERY_MAX_CHARS}, N_("The search text.")),
                   *_FILTER_PARAMS,
                   Param("from", DAY_IN, N_("Calls on or after this day.")),
                   Param("to", DAY_IN, N_("Calls on or before this day.")),
                   Param("sort", {"type": "string", "enum": list(SORTS)}, N_("relevance (default) or date.")),
                   *LIST_PARAMS],
           replies={200: ok(SEARCH), 503: Reply(N_("The search index cannot be read."),
                                                {"application/json": {"$ref": "#/components/schemas/Error"}})})
def bites_search():
    """Pages of `limit` results from the cursor's offset, also when ?limit= changes between pages."""
    cursor = read_cursor()
    offset, limit = cursor.offset, cursor.limit
    parsed = parse_search_args(request.args)
    number = offset // limit + 1  # the index's page holding the first result asked for
    skip = offset - (number - 1) * limit  # not 0 when the limit changed: that page and the next hold this one
    if number + (1 if skip else 0) > search.MAX_PAGE:
        raise invalid(_("Narrow the search: only the first %(n)d pages can be read.", n=search.MAX_PAGE))
    q = replace(parsed.query, page=number, per_page=limit)
    found = search.search_bites(q, user(), locale(), record=offset == 0)
    rows = list(found.rows)
    if skip and len(rows) == limit:
        rows += search.search_bites(replace(q, page=number + 1), user(), locale(), record=False).rows
    rows = rows[skip:skip + limit]
    commit_if_possible("search log")
    return reply({
        "data": [{"bite": bite_json(row.bite), "snippet_html": row.snippet} for row in rows],
        "next_cursor": _next(offset + limit, limit, found.total),
        "total": found.total, "suggestion": found.suggestion, "error": found.error, "problems": parsed.problems,
        "facets": [{"field": f.field, "label": f.label, "options": [
            {"value": o.value, "label": o.label, "count": o.count, "selected": o.selected} for o in f.options]}
            for f in found.facets],
    })


ANSWER_SENTENCE = obj({"text": STR, "start_s": NUM, "said_by": null({"type": "string", "enum": ["customer", "rep"]}),
                       "matched": BOOL})
ANSWER = obj({"question": STR, "groups": {"type": "array", "items": obj({
    "rep": null(STR), "won_deals": INT, "moments": {"type": "array", "items": obj({
        "bite": BITE_REF, "start_s": NUM, "play_url": STR, "score": NUM, "is_best": BOOL,
        "sentences": {"type": "array", "items": ANSWER_SENTENCE}})}})}})


@operation("GET", "/ask", role=Role.REP, tag=TAG, summary=N_("Ask the library"),
           description=N_("A question (\"how do our best reps answer 'we already use Gong'?\") answered with the 3-5 "
                          "moments of calls closest to it in meaning, in any language, grouped by rep: best "
                          "examples and reps with won deals first. Each moment gives the sentence that matched and "
                          "the reply after it, and the second to play from. Extractive only: nothing is generated. "
                          "Without the sentence model, moments holding the question's words."),
           params=[Param("q", {"type": "string", "minLength": 1, "maxLength": ask.QUESTION_MAX_CHARS,
                                "pattern": "\\S"},
                         N_("The question."), required=True)],
           replies={200: ok(ANSWER), 503: Reply(N_("The search index cannot be read."),
                                                {"application/json": {"$ref": "#/components/schemas/Error"}})})
def ask_question():
    """The moments answering a question; the question is logged for the search-gap report."""
    question = (request.args.get("q") or "").replace("\x00", "").strip()
    if not question:
        raise invalid(_("Ask a question with ?q=."))
    if len(question) > ask.QUESTION_MAX_CHARS:
        raise invalid(_("A question has at most %(n)d characters.", n=ask.QUESTION_MAX_CHARS))
    answer = ask.ask_library(question, user())
    commit_if_possible("search log")
    return reply({"question": answer.question, "groups": [
        {"rep": g.rep, "won_deals": g.won_deals, "moments": [
            {"bite": bite_json(m.bite), "start_s": round(m.start_s, 2), "score": round(m.score, 4),
             "is_best": m.is_best,
             "play_url": url_for("calls.media", call_id=m.bite.call_id) + f"#t={m.start_s:.2f}",
             "sentences": [{"text": s.text, "start_s": round(s.start_s, 2), "said_by": s.role, "matched": s.matched}
                           for s in m.sentences]} for m in g.moments]} for g in answer.groups]})


def _next(offset: int, limit: int, total: int) -> str | None:
    return encode_cursor(offset=offset, limit=limit) if offset < total else None


def _bite(bite_id: int) -> Bite:
    bite = load_bite(bite_id)
    if bite is None:
        raise not_found(_("This bite does not exist."))
    return bite


@operation("GET", "/bites/<int:bite_id>", role=Role.REP, tag=TAG, summary=N_("Get a bite"),
           replies={200: ok(BITE_REF)},
           description=N_("The bite with its tags and their evidence; report views and plays with POST /usage-events."))
def bites_get(bite_id: int):
    return reply(bite_json(_bite(bite_id)))


def _reindex(bite: Bite) -> None:
    try:
        index_bites([bite.id])
    except Exception:  # the change is saved; `flask search rebuild` carries it to search
        log.exception("bite %s changed but could not be re-indexed", bite.id)


@operation("POST", "/bites/<int:bite_id>/tags", role=Role.ENABLEMENT, tag=TAG, summary=N_("Tag a bite"),
           body=Body(obj({"tag_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})),
           replies={201: ok(BITE_REF, N_("Tagged."))})
def bites_tag_add(bite_id: int):
    tag_id = json_body().get("tag_id")
    if not isinstance(tag_id, int) or isinstance(tag_id, bool) or not 1 <= tag_id <= MAX_ID:
        raise invalid(_("Send the tag as {\"tag_id\": <id>}."))
    bite = _bite(bite_id)
    curation.add_tag(bite, tag_id, user())
    db.session.commit()
    _reindex(bite)
    return reply(bite_json(_bite(bite_id)), 201)


@operation("DELETE", "/bites/<int:bite_id>/tags/<int:tag_id>", role=Role.ENABLEMENT, tag=TAG,
           summary=N_("Remove a tag from a bite"), replies={200: ok(BITE_REF, N_("Removed; retagging keeps it off."))})
def bites_tag_remove(bite_id: int, tag_id: int):
    bite = _bite(bite_id)
    curation.remove_tag(bite, tag_id, user())
    db.session.commit()
    _reindex(bite)
    return reply(bite_json(_bite(bite_id)))


# Curation: rename and trim (enablement and managers) ------------------------------------------------------------

SECONDS = {"type": "number", "minimum": 0, "maximum": 1_000_000}


@operation("POST", "/bites/<int:bite_id>/title", role=Role.MANAGER, tag=TAG, summary=N_("Rename a bite"),
           description=N_("Give the bite a title of its own (1-200 characters); retagging and re-running its call keep "
                          "it."),
           body=Body(obj({"title": {"type": "string", "minLength": 1, "maxLength": 200}}, ["title"])),
           replies={200: ok(BITE_REF, N_("Renamed."))})
def bites_rename(bite_id: int):
    title = json_body().get("title")
    if not isinstance(title, str):
        raise invalid(_("Send the title as {\"title\": \"...\"}."))
    return _edited(editing.rename(_bite(bite_id), title, user()))


@operation("POST", "/bites/<int:bite_id>/trim", role=Role.MANAGER, tag=TAG, summary=N_("Trim a bite"),
           description=N_("Move the bite's start and end (seconds from the call's start) to the nearest word "
                          "boundaries; a trim outside the call's speech or into a neighbouring bite is refused (422). "
                          "The call's transcript is not changed."),
           body=Body(obj({"start_s": SECONDS, "end_s": SECONDS}, ["start_s", "end_s"])),
           replies={200: ok(BITE_REF, N_("Trimmed."))})
def bites_trim(bite_id: int):
    body = json_body()
    start, end = body.get("start_s"), body.get("end_s")
    # Within the documented bounds before float(): a 400-digit integer would overflow it (and NaN fails every bound).
    if not all(isinstance(v, int | float) and not isinstance(v, bool)
               and SECONDS["minimum"] <= v <= SECONDS["maximum"] for v in (start, end)):  # type: ignore[operator]
        raise invalid(_("Send the start and the end as {\"start_s\": 12.5, \"end_s\": 80}."))
    return _edited(editing.trim(_bite(bite_id), float(start), float(end), user()))  # type: ignore[arg-type]


def _edited(result: editing.EditResult):
    """Commit an edit, then bring the index up to date; the bite as it is now."""
    bite_id = result.bite.id
    db.session.commit()
    try:
        index_edit(result.reindex, result.removed, result.call_id)
    except Exception:  # the change is saved; `flask search rebuild` carries it to search
        log.exception("bites %s changed but could not be re-indexed", result.reindex)
    return reply(bite_json(_bite(bite_id)))


# Playlists -----------------------------------------------------------------------------------------------------

PTAG = N_("Playlists")


def _playlist(playlist_id: int):
    return lists.get_playlist(playlist_id, user())  # 404 when absent or not visible


@operation("GET", "/playlists", role=Role.REP, tag=PTAG, summary=N_("List your playlists and your team's"),
           params=LIST_PARAMS, replies={200: ok(list_of(PLAYLIST_REF))},
           description=N_("Most recently changed first; the cursor holds the last playlist's change time and id, so "
                          "playlists created meanwhile neither repeat nor push others across pages."))
def playlists_list():
    return reply(page_of_sorted(lists.visible_playlists(user()), _playlist_key, _playlist_rank, playlist_json))


def _playlist_key(playlist) -> list[Any]:
    return [playlist.updated_at.isoformat() if playlist.updated_at else None, playlist.id]


def _playlist_rank(key: list[Any]) -> tuple[bool, int, int]:
    """The list's order (changed newest first, never-changed last, then id descending) as an ascending tuple."""
    changed, playlist_id = key
    if changed is None:
        micros = 0
    else:
        moment = datetime.fromisoformat(changed)
        micros = (moment - EPOCH) // timedelta(microseconds=1)
    if not isinstance(playlist_id, int):
        raise TypeError(playlist_id)
    return (changed is None, -micros, -playlist_id)


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise invalid(_("“%(name)s” must be text of at most %(n)d characters.", name=name, n=limit))
    return value


@operation("POST", "/playlists", role=Role.REP, tag=PTAG, summary=N_("Create a playlist"),
           body=Body(obj({"name": {"type": "string", "minLength": 1, "maxLength": lists.NAME_MAX},
                          "description": {"type": "string", "maxLength": 2000}}, required=["name"])),
           replies={201: ok(PLAYLIST_REF, N_("Created (private until shared)."))})
def playlists_create():
    data = json_body()
    playlist = lists.create_playlist(user(), _text(data, "name", lists.NAME_MAX, required=True) or "",
                                     _text(data, "description", 2000))
    db.session.commit()
    return reply(playlist_json(_playlist(playlist.id)), 201)


@operation("GET", "/playlists/<int:playlist_id>", role=Role.REP, tag=PTAG, summary=N_("Get a playlist"),
           replies={200: ok(PLAYLIST_REF)})
def playlists_get(playlist_id: int):
    return reply(playlist_json(_playlist(playlist_id)))


@operation("POST", "/playlists/<int:playlist_id>/items", role=Role.REP, tag=PTAG,
           summary=N_("Add a bite to a playlist"),
           body=Body(obj({"bite_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})),
           replies={201: ok(PLAYLIST_REF, N_("Added at the end."))})
def playlists_add_item(playlist_id: int):
    bite_id = json_body().get("bite_id")
    if not isinstance(bite_id, int) or isinstance(bite_id, bool) or not 1 <= bite_id <= MAX_ID:
        raise invalid(_("Send the bite as {\"bite_id\": <id>}."))
    playlist = _playlist(playlist_id)
    bite = db.session.get(Bite, bite_id)
    if bite is None:
        raise not_found(_("This bite does not exist."))
    lists.add_bite(playlist, bite, user())
    db.session.commit()
    return reply(playlist_json(_playlist(playlist_id)), 201)


@operation("DELETE", "/playlists/<int:playlist_id>/items/<int:item_id>", role=Role.REP, tag=PTAG,
           summary=N_("Remove an item from a playlist"), replies={200: ok(PLAYLIST_REF)})
def playlists_remove_item(playlist_id: int, item_id: int):
    lists.remove_item(_playlist(playlist_id), item_id, user())
    db.session.commit()
    return reply(playlist_json(_playlist(playlist_id)))


@operation("DELETE", "/playlists/<int:playlist_id>", role=Role.REP, tag=PTAG, summary=N_("Delete a playlist"),
           replies={204: Reply(N_("Deleted; its bites stay in the library."))})
def playlists_delete(playlist_id: int):
    lists.delete_playlist(_playlist(playlist_id), user())
    db.session.commit()
    return Response(status=204)
