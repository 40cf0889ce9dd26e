"""JSON shapes of the API: each resource's schema (for the OpenAPI document) beside the function that renders it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import get_locale

from enable.api.core import JSON, Reply
from enable.reasons import N_

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}
# A day a client sends: ISO YYYY-MM-DD within request_args.FIRST_DAY..LAST_DAY (1900-01-01 to 2199-12-31).
DAY_IN: dict[str, Any] = {"type": "string", "format": "date", "pattern": "^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$"}


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object schema; every property is required (always present, maybe null) unless told otherwise."""
    return {"type": "object", "required": list(properties) if required is None else required,
            "properties": properties, **extra}


def null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def enum(values: type[StrEnum] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": [str(v) for v in values]}


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def locale() -> str:
    return str(get_locale() or "en")


ERROR = obj({"error": obj({"code": {**STR, "description": N_("not_found, forbidden, invalid, rate_limited, ...")},
                           "message": {**STR, "description": N_("What went wrong, for people.")}})})


def error_reply(description: str, headers: dict[str, Any] | None = None) -> Reply:
    return Reply(description, {JSON: {"$ref": "#/components/schemas/Error"}}, headers or {})


# Tags, bites ---------------------------------------------------------------------------------------------------

TAG = obj({"id": INT, "kind": STR, "key": STR, "name": STR})


def tag_json(tag) -> dict[str, Any]:
    return {"id": tag.id, "kind": tag.kind.value, "key": tag.key, "name": tag.name_in(locale())}


# Evidence: the example phrase matched, the second, how (literal or meaning), the sentence and who said it.
BITE_TAG = obj({**TAG["properties"], "source": STR, "phrase": null(STR), "at_s": null(NUM),
                "match": null({"type": "string", "enum": ["literal", "meaning"]}), "sentence": null(STR),
                "speaker": null(STR)})
BITE = obj({
    "id": INT, "call_id": INT, "seq": INT, "title": STR, "text": STR, "start_s": NUM, "end_s": NUM,
    "duration_s": NUM, "language": null(STR), "is_best": BOOL, "call_title": STR, "call_date": null(DATE),
    "rep": null(STR), "deal_id": null(INT), "tags": {"type": "array", "items": BITE_TAG},
})


def bite_json(bite) -> dict[str, Any]:
    call = bite.call
    tags = [{**tag_json(bt.tag), "source": bt.source.value, "phrase": bt.phrase, "at_s": bt.at_s,
             "match": bt.match.value if bt.match else None, "sentence": bt.sentence, "speaker": bt.speaker}
            for bt in bite.tags if not bt.is_removed]
    return {"id": bite.id, "call_id": bite.call_id, "seq": bite.seq, "title": bite.title, "text": bite.text,
            "start_s": bite.start_s, "end_s": bite.end_s, "duration_s": round(bite.duration_s, 3),
            "language": bite.language, "is_best": bite.is_best, "call_title": call.title,
            "call_date": iso(call.call_date), "rep": call.rep.name if call.rep else None, "deal_id": call.deal_id,
            "tags": sorted(tags, key=lambda t: (t["kind"], t["key"]))}


# Calls ---------------------------------------------------------------------------------------------------------

CALL = obj({
    "id": INT, "title": STR, "status": {"type": "string", "enum": ["queued", "transcribing", "slicing", "indexing",
                                                                   "ready", "failed"]},
    "status_label": STR, "progress": {"type": "number", "minimum": 0, "maximum": 1},
    "error": null(STR), "original_filename": STR, "content_type": null(STR), "size_bytes": INT,
    "duration_s": null(NUM), "has_video": BOOL, "language": null(STR), "detected_language": null(STR),
    "stage": null(STR), "call_date": null(DATE), "rep_id": null(INT), "deal_id": null(INT), "team_id": null(INT),
    "bites": INT, "created_at": DATETIME, "transcribed_at": null(DATETIME),
})


def call_json(call, bites: int) -> dict[str, Any]:
    return {"id": call.id, "title": call.title, "status": call.status.value, "status_label": call.status.label,
            "progress": round(min(max(call.progress or 0.0, 0.0), 1.0), 3), "error": call.error,
            "original_filename": call.original_filename, "content_type": call.content_type,
            "size_bytes": call.size_bytes, "duration_s": call.duration_s, "has_video": call.has_video,
            "language": call.language, "detected_language": call.detected_language, "stage": call.stage,
            "call_date": iso(call.call_date), "rep_id": call.rep_id, "deal_id": call.deal_id,
            "team_id": call.team_id, "bites": bites, "created_at": iso(call.created_at),
            "transcribed_at": iso(call.transcribed_at)}


# Playlists -----------------------------------------------------------------------------------------------------

PLAYLIST_ITEM = obj({"id": INT, "position": INT, "bite_id": INT, "title": STR, "call_id": INT,
                     "start_s": NUM, "end_s": NUM})
PLAYLIST = obj({"id": INT, "name": STR, "description": null(STR), "owner_id": null(INT), "shared": BOOL,
                "team_id": null(INT), "created_at": DATETIME, "updated_at": null(DATETIME),
                "items": {"type": "array", "items": PLAYLIST_ITEM}})


def playlist_json(playlist) -> dict[str, Any]:
    return {"id": playlist.id, "name": playlist.name, "description": playlist.description,
            "owner_id": playlist.owner_id, "shared": playlist.is_shared, "team_id": playlist.team_id,
            "created_at": iso(playlist.created_at), "updated_at": iso(playlist.updated_at),
            "items": [{"id": i.id, "position": i.position, "bite_id": i.bite_id, "title": i.bite.title,
                       "call_id": i.bite.call_id, "start_s": i.bite.start_s, "end_s": i.bite.end_s}
                      for i in playlist.items]}


# Playbooks, assets ---------------------------------------------------------------------------------------------

GOVERNED = {"owner_id": null(INT), "verified_at": null(DATETIME), "archived_at": null(DATETIME),
            "retired_at": null(DATETIME), "created_at": DATETIME, "updated_at": null(DATETIME)}


def governed_json(item) -> dict[str, Any]:
    return {"owner_id": item.owner_id, "verified_at": iso(item.verified_at), "archived_at": iso(item.archived_at),
            "retired_at": iso(item.retired_at), "created_at": iso(item.created_at),
            "updated_at": iso(item.updated_at)}


PLAYBOOK_SUMMARY = obj({"id": INT, "slug": STR, "title": STR, "stage": null(STR),
                        "language": {**STR,
                                     "description": N_("The BCP 47 tag of the language it is written in: en, ru.")},
                        "version": INT, **GOVERNED})
PLAYBOOK = obj({**PLAYBOOK_SUMMARY["properties"], "body_markdown": STR, "body_html": STR,
                "attachments": {"type": "array", "items": {"type": "integer"}}})


def playbook_json(playbook, *, full: bool = False, html: str = "", attachments: list[int] | None = None
                  ) -> dict[str, Any]:
    data = {"id": playbook.id, "slug": playbook.slug, "title": playbook.title, "stage": playbook.stage,
            "language": playbook.language, "version": max((v.number for v in playbook.versions), default=0),
            **governed_json(playbook)}
    if full:
        data.update(body_markdown=playbook.body, body_html=html, attachments=attachments or [])
    return data


ASSET = obj({"id": INT, "title": STR, "kind": enum(["battlecard", "case_study", "one_pager", "slides", "document",
                                                     "other"]),
             "description": STR, "url": null(STR), "is_file": BOOL, "original_filename": null(STR),
             "content_type": null(STR), "size_bytes": null(INT),
             "download_url": {**null(STR), "description": N_("GET it with your token to download the file.")},
             "tags": {"type": "array", "items": TAG}, **GOVERNED})


def asset_json(asset, download_url: str | None) -> dict[str, Any]:
    return {"id": asset.id, "title": asset.title, "kind": asset.kind.value, "description": asset.description,
            "url": asset.url, "is_file": asset.is_file, "original_filename": asset.original_filename,
            "content_type": asset.content_type, "size_bytes": asset.size_bytes, "download_url": download_url,
            "tags": [tag_json(t.tag) for t in asset.tags], **governed_json(asset)}


# Learning ------------------------------------------------------------------------------------------------------

STEP = obj({"id": INT, "position": INT, "kind": enum(["bite", "playlist", "playbook", "asset", "quiz", "signoff"]),
            "title": STR, "item_id": null(INT), "due_days": null(INT)})
TRACK = obj({"id": INT, "slug": STR, "title": STR, "description": STR, "is_default": BOOL, "language": STR,
             "steps": {"type": "array", "items": STEP}})


def track_json(track) -> dict[str, Any]:
    return {"id": track.id, "slug": track.slug, "title": track.title, "description": track.description,
            "is_default": track.is_default, "language": track.language,
            "steps": [{"id": s.id, "position": s.position, "kind": s.kind.value, "title": s.title,
                       "item_id": s.item_id, "due_days": s.due_days} for s in track.steps]}


PROGRESS = obj({"assignment_id": INT, "track_id": INT, "track_title": STR, "started_on": DATE,
                "completed_at": null(DATETIME), "steps_done": INT, "steps_total": INT, "percent": NUM,
                "overdue": INT,
                "steps": {"type": "array", "items": obj({"step_id": INT, "title": STR, "kind": STR,
                                                         "due_on": null(DATE), "completed_at": null(DATETIME)})}})

REQUIREMENT = obj({"id": INT, "kind": enum(["track", "quiz", "signoff"]), "track_id": null(INT),
                   "quiz_id": null(INT), "min_score": null(INT), "text": STR})
CERTIFICATION = obj({"id": INT, "slug": STR, "title": STR, "description": STR, "valid_days": INT,
                     "requirements": {"type": "array", "items": REQUIREMENT}})


def certification_json(cert) -> dict[str, Any]:
    return {"id": cert.id, "slug": cert.slug, "title": cert.title, "description": cert.description,
            "valid_days": cert.valid_days,
            "requirements": [{"id": r.id, "kind": r.kind.value, "track_id": r.track_id, "quiz_id": r.quiz_id,
                              "min_score": r.min_score, "text": r.text} for r in cert.requirements]}


AWARD = obj({"id": INT, "certification_id": INT, "certification": STR, "user_id": INT, "awarded_at": DATETIME,
             "expires_at": DATETIME, "status": enum(["valid", "expiring", "expired"]), "needs_attention": BOOL})


def award_json(award, now: datetime) -> dict[str, Any]:
    return {"id": award.id, "certification_id": award.certification_id, "certification": award.certification.title,
            "user_id": award.user_id, "awarded_at": iso(award.awarded_at), "expires_at": iso(award.expires_at),
            "status": award.status(now).value, "needs_attention": award.needs_attention}


# Deals, usage --------------------------------------------------------------------------------------------------

DEAL = obj({"id": INT, "external_id": STR, "name": STR, "account": null(STR), "amount_cents": null(INT),
            "currency": null(STR), "stage": null(STR), "outcome": enum(["won", "lost", "open"]),
            "close_on": null(DATE), "created_on": null(DATE), "owner_id": null(INT), "owner_name": null(STR),
            "source": STR, "updated_at": null(DATETIME)})


def deal_json(deal) -> dict[str, Any]:
    return {"id": deal.id, "external_id": deal.external_id, "name": deal.name, "account": deal.account,
            "amount_cents": deal.amount_cents, "currency": deal.currency, "stage": deal.stage,
            "outcome": deal.outcome.value, "close_on": iso(deal.close_on), "created_on": iso(deal.created_on),
            "owner_id": deal.owner_id, "owner_name": deal.owner_name, "source": deal.source,
            "updated_at": iso(deal.updated_at)}


USAGE_EVENT = obj({"id": INT, "kind": STR, "item_type": STR, "item_id": INT, "deal_id": null(INT),
                   "seconds": null(NUM), "user_id": null(INT), "created_at": DATETIME})


def usage_json(event) -> dict[str, Any]:
    return {"id": event.id, "kind": str(event.kind), "item_type": event.item_type, "item_id": event.item_id,
            "deal_id": event.deal_id, "seconds": event.seconds, "user_id": event.user_id,
            "created_at": iso(event.created_at)}
