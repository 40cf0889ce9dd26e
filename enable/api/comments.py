"""Comments at the second: list and post on a call or a bite (a bite's comments are its call's, at call seconds)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from enable.api.core import (
    LIST_PARAMS,
    MAX_ID,
    ApiError,
    Body,
    json_body,
    list_of,
    not_found,
    ok,
    operation,
    page,
    page_window,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import DATETIME, INT, NUM, STR, iso, null, obj
from enable.auth.models import Role
from enable.bites.page import load_bite
from enable.calls import services as calls
from enable.calls.models import Call
from enable.comments import services as comments
from enable.comments.models import Comment, Visibility
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.reasons import N_

TAG = N_("Comments")
COMMENT_REF = {"$ref": "#/components/schemas/Comment"}
COMMENT = obj({
    "id": INT, "call_id": INT,
    "bite_id": {**null(INT), "description": N_("The bite whose page it was written on; null once that bite is gone.")},
    "parent_id": {**null(INT), "description": N_("The comment it replies to (the first of its thread).")},
    "at_s": {**NUM, "description": N_("Seconds from the start of the call (a bite's comments too).")},
    "body": {**null(STR), "description": N_("Markdown; null when deleted, or hidden by a moderator from you.")},
    "visibility": {"type": "string", "enum": [v.value for v in Visibility],
                   "description": N_("team: the call's team, its manager, enablement and admins; private: the "
                                     "author.")},
    "author": null(obj({"id": INT, "name": STR})), "created_at": DATETIME, "edited_at": null(DATETIME),
    "is_hidden": {"type": "boolean"}, "is_deleted": {"type": "boolean"},
})
NEW = obj({
    "body": {"type": "string", "minLength": 1, "maxLength": comments.MAX_BODY,
             "description": N_("Markdown; @handle (the part of an email before the @) mentions and notifies someone.")},
    "at_s": {"type": "number", "minimum": 0, "maximum": 360000,
             "description": N_("Seconds from the start of the call, within its length. Left out for a reply.")},
    "visibility": {"type": "string", "enum": [v.value for v in Visibility], "default": "team"},
    "parent_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": N_("Reply to this comment.")},
}, required=["body"])


def comment_json(c: Comment, viewer_reads_text: bool) -> dict[str, Any]:
    return {"id": c.id, "call_id": c.call_id, "bite_id": c.bite_id, "parent_id": c.parent_id, "at_s": c.at_s,
            "body": c.body if viewer_reads_text else None, "visibility": c.visibility.value,
            "author": {"id": c.author.id, "name": c.author.name} if c.author else None,
            "created_at": iso(c.created_at), "edited_at": iso(c.edited_at), "is_hidden": c.is_hidden,
            "is_deleted": c.is_deleted}


def _render(c: Comment) -> dict[str, Any]:
    return comment_json(c, comments.shows_text(user(), c))


def _call(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or not calls.can_view(user(), call):
        raise not_found(_("This call does not exist."))
    return call


def _listed(found: list[Comment]):
    offset, limit = page_window()
    return page(found, _render, offset=offset, limit=limit)


def _post(call: Call, bite_id: int | None):
    data = json_body()
    parent = None
    if (parent_id := data.get("parent_id")) is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None:
            raise not_found(_("This comment does not exist or is not yours to read."))
    try:
        comment = comments.add_comment(call, user(), body=str(data.get("body", "")), at_s=data.get("at_s"),
                                       visibility=Visibility(data.get("visibility", "team")), parent=parent,
                                       bite_id=bite_id)
    except NotAllowed as e:
        raise not_found(e.message) from e
    except UserError as e:
        raise ApiError(422, "invalid", e.message) from e
    db.session.commit()
    return reply(_render(comment), 201)


@operation("GET", "/calls/<int:call_id>/comments", role=Role.REP, tag=TAG, summary=N_("The comments of a call"),
           params=LIST_PARAMS, replies={200: ok(list_of(COMMENT_REF))},
           description=N_("Threads in order of their second, each comment followed by its replies; only those you may"
                          " read."))
def calls_comments(call_id: int):
    return _listed(comments.readable_comments(_call(call_id), user()))


@operation("POST", "/calls/<int:call_id>/comments", role=Role.REP, tag=TAG, summary=N_("Comment on a call"),
           body=Body(NEW), replies={201: ok(COMMENT_REF, N_("Posted; mentioned people are notified."))},
           description=N_("A second outside the call, an unknown @mention or a mention in a private note: 422 with "
                          "what to change."))
def calls_comment_create(call_id: int):
    return _post(_call(call_id), None)


def _bite_call(bite_id: int):
    bite = load_bite(bite_id)
    if bite is None or not calls.can_view(user(), bite.call):
        raise not_found(_("This bite does not exist."))
    return bite


@operation("GET", "/bites/<int:bite_id>/comments", role=Role.REP, tag=TAG, summary=N_("The comments of a bite"),
           params=LIST_PARAMS, replies={200: ok(list_of(COMMENT_REF))},
           description=N_("Its call's comments at a second inside the bite, and those written on the bite (at call "
                          "seconds)."))
def bites_comments(bite_id: int):
    bite = _bite_call(bite_id)
    return _listed([c for t in comments.bite_threads(bite, user()) for c in (t.comment, *t.replies)])


@operation("POST", "/bites/<int:bite_id>/comments", role=Role.REP, tag=TAG, summary=N_("Comment on a bite"),
           body=Body(NEW),
           replies={201: ok(COMMENT_REF, N_("Posted on the bite's call; mentioned people are notified."))},
           description=N_("The comment belongs to the bite's call at `at_s` (call seconds), so it stays when the bite"
                          " is re-cut."))
def bites_comment_create(bite_id: int):
    bite = _bite_call(bite_id)
    return _post(bite.call, bite.id)
