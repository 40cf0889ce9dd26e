"""Scorecards and call scores: list the scorecards, read a call's scores, score a call."""

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
    page_of_list,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import BOOL, DATETIME, INT, NUM, STR, iso, null, obj
from enable.auth.models import Role
from enable.calls import services as calls
from enable.calls.models import Call
from enable.coaching import services
from enable.coaching.models import CallScore, QuestionKind, Scorecard, ScorecardVersion
from enable.db import utcnow
from enable.errors import NotAllowed
from enable.extensions import db
from enable.reasons import N_

TAG = N_("Coaching")
QUESTION = obj({"id": INT, "position": INT, "kind": {"type": "string", "enum": [k.value for k in QuestionKind]},
                "prompt": STR, "weight": INT,
                "options": {"type": "array", "items": obj({"label": STR, "points": INT})}})
SCORECARD = obj({"id": INT, "slug": null(STR), "title": STR, "description": STR, "stage": null(STR),
                 "active": BOOL, "version_id": null(INT), "version": null(INT),
                 "questions": {"type": "array", "items": QUESTION}})
ANSWER = obj({"question_id": INT, "prompt": STR, "value": STR, "points": null(NUM), "moment_s": null(NUM)})
SCORE = obj({"id": INT, "call_id": INT, "scorecard_id": INT, "scorecard": STR, "version_id": INT, "version": INT,
             "scorer_id": null(INT), "rep_id": null(INT), "self_score": BOOL, "total_pct": null(NUM), "note": STR,
             "created_at": DATETIME, "answers": {"type": "array", "items": ANSWER}})
SCORECARD_REF = {"$ref": "#/components/schemas/Scorecard"}
SCORE_REF = {"$ref": "#/components/schemas/Score"}
SCORE_IN = obj({
    "version_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                   "description": N_("The scorecard version answered (a scorecard's version_id when you read it).")},
    "note": {"type": "string", "maxLength": services.MAX_NOTE},
    "answers": {"type": "array", "maxItems": services.MAX_QUESTIONS, "items": obj({
        "question_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "value": {"type": "string", "maxLength": services.MAX_TEXT,
                  "description": N_("yes or no; 1 to 5; the option's index from 0; or the text.")},
        "moment_s": {"type": ["number", "null"], "minimum": 0, "maximum": 86400,
                     "description": N_("The second of the call the answer points at.")},
    }, required=["question_id", "value"])},
}, required=["version_id", "answers"])


def _question_json(q) -> dict[str, Any]:
    return {"id": q.id, "position": q.position, "kind": q.kind.value, "prompt": q.prompt, "weight": q.weight,
            "options": [{"label": o["label"], "points": o["points"]} for o in q.options]}


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    v = card.current
    return {"id": card.id, "slug": card.slug, "title": card.title, "description": card.description,
            "stage": card.stage, "active": card.is_active, "version_id": v.id if v else None,
            "version": v.number if v else None, "questions": [_question_json(q) for q in v.questions] if v else []}


def score_json(score: CallScore) -> dict[str, Any]:
    return {"id": score.id, "call_id": score.call_id, "scorecard_id": score.version.scorecard_id,
            "scorecard": score.version.scorecard.title, "version_id": score.version_id,
            "version": score.version.number, "scorer_id": score.scorer_id, "rep_id": score.rep_id,
            "self_score": score.is_self, "total_pct": score.total_pct, "note": score.note,
            "created_at": iso(score.created_at),
            "answers": [{"question_id": a.question_id, "prompt": a.question.prompt, "value": a.value,
                         "points": a.points, "moment_s": a.moment_s} for a in score.answers]}


@operation("GET", "/scorecards", role=Role.REP, tag=TAG, summary=N_("List the scorecards with their current questions"),
           params=LIST_PARAMS, replies={200: ok(list_of(SCORECARD_REF))},
           description=N_("Active and archived scorecards; each with its current version's questions."))
def scorecards_list():
    return reply(page_of_list(services.list_scorecards(), scorecard_json))


def _call(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or not calls.can_view(user(), call):
        raise not_found(_("This call does not exist or is not visible to you."))
    return call


@operation("GET", "/calls/<int:call_id>/scores", role=Role.REP, tag=TAG, summary=N_("A call's scores"),
           params=LIST_PARAMS, replies={200: ok(list_of(SCORE_REF))},
           description=N_("Newest first. Seen by the call's rep, their managers, enablement and admins; other reps "
                          "get an empty list."))
def call_scores(call_id: int):
    return reply(page_of_list(services.visible_scores(user(), _call(call_id)), score_json))


@operation("POST", "/calls/<int:call_id>/scores", role=Role.REP, tag=TAG, summary=N_("Score a call"),
           description=N_("A manager scores a call of their team's reps (enablement and admins any call with a rep); a "
                          "rep scores their own call. The score is saved against the version given; an archived "
                          "scorecard answers 409. A manager's score fulfils the rep's open feedback requests on the "
                          "call."),
           body=Body(SCORE_IN), replies={201: ok(SCORE_REF, N_("Saved.")),
                                         409: ok({"type": "object"}, N_("The scorecard no longer accepts scores."))})
def call_scores_create(call_id: int):
    call = _call(call_id)
    data = json_body()
    version = db.session.get(ScorecardVersion, int(data["version_id"]))
    if version is None:
        raise not_found(_("No such scorecard version."))
    if not services.can_score(user(), call):
        raise NotAllowed(_("You may score only your own calls and, as a manager, your team's."))
    answers = [services.AnswerIn(int(a["question_id"]), str(a["value"]),
                                 float(a["moment_s"]) if a.get("moment_s") is not None else None)
               for a in data.get("answers") or []]
    try:
        result = services.score_call(call, version, user(), answers, note=str(data.get("note") or ""), now=utcnow())
    except services.ScorecardClosed as e:
        db.session.rollback()
        raise ApiError(409, "conflict", e.message) from None
    db.session.commit()
    return reply(score_json(result.score), 201)
