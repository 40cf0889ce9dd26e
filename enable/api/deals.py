"""Deals (list, batch upsert through the CRM import service) and usage events reported by other tools."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _

from enable.api.core import (
    LIST_PARAMS,
    MAX_ID,
    Body,
    Param,
    arg_choice,
    invalid,
    json_body,
    list_of,
    not_found,
    ok,
    operation,
    page_of_select,
    reply,
)
from enable.api.core import api_user as user
from enable.api.schemas import BOOL, DAY_IN, DEAL, INT, STR, USAGE_EVENT, deal_json, null, obj, usage_json
from enable.auth.models import Role
from enable.bites import curation
from enable.bites.models import Bite
from enable.db import utcnow
from enable.deals import content, importing, jobs
from enable.deals import services as deals
from enable.deals.csv_import import MAX_CENTS, DealRow, ParseResult, RowError
from enable.deals.models import DealOutcome
from enable.extensions import db
from enable.reasons import N_
from enable.request_args import parse_day
from enable.search import playlists as lists
from enable.usage import UsageKind, record_usage

TAG = N_("Deals")
MAX_BATCH = 1000
OUTCOMES = [o.value for o in DealOutcome]


@operation("GET", "/deals", role=Role.REP, tag=TAG, summary=N_("List deals"),
           description=N_("Reps see the deals they own; managers and up see every deal."),
           params=[Param("outcome", {"type": "string", "enum": OUTCOMES}, N_("Only won, lost or open deals.")),
                   Param("q", {"type": "string", "maxLength": 200}, N_("Words in the name, account or CRM id.")),
                   *LIST_PARAMS],
           replies={200: ok(list_of(DEAL))})
def deals_list():
    outcome = arg_choice("outcome", OUTCOMES)
    filters = deals.DealFilters(q=(request.args.get("q") or "").strip()[:200],
                                outcome=DealOutcome(outcome) if outcome else None)
    return reply(page_of_select(deals.deals_select(user(), filters), deal_json))


DEAL_IN = obj({
    "external_id": {"type": "string", "minLength": 1, "maxLength": 100, "description": N_("The CRM's id: the key.")},
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "account": {"type": ["string", "null"], "maxLength": 255},
    "amount_cents": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_CENTS},
    "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
    "stage": {"type": ["string", "null"], "maxLength": 100},
    "outcome": {"type": "string", "enum": OUTCOMES},
    "close_on": null(DAY_IN),
    "created_on": null(DAY_IN),
    "owner": {"type": ["string", "null"], "maxLength": 255, "description": N_("The owner's email or name.")},
}, required=["external_id", "name"])
BATCH_OUT = obj({"dry_run": BOOL, "created": INT, "updated": INT, "unchanged": INT, "rejected": INT,
                 "errors": {"type": "array", "items": obj({"index": INT, "reason": STR})},
                 "warnings": {"type": "array", "items": obj({"index": INT, "reason": STR})}})


def _optional_text(item: dict[str, Any], name: str, limit: int, reasons: list[str]) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        reasons.append(_("“%(name)s” must be text of at most %(n)d characters.", name=name, n=limit))
        return None
    return " ".join(value.split()) or None


def _date(item: dict[str, Any], name: str, reasons: list[str]) -> date | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, str) and (day := parse_day(value)) is not None:
        return day
    reasons.append(_("“%(name)s” must be a date as YYYY-MM-DD.", name=name))
    return None


def _row(index: int, item: Any) -> DealRow | RowError:
    """One deal of the batch as the importer's row (line = its index in the list), or why it cannot be one."""
    if not isinstance(item, dict):
        return RowError(index, _("Each deal must be a JSON object."))
    reasons: list[str] = []
    external_id = _optional_text(item, "external_id", 100, reasons)
    name = _optional_text(item, "name", 255, reasons)
    if not external_id:
        reasons.append(_("The deal ID (external_id) is missing."))
    if not name:
        reasons.append(_("The deal name is missing."))
    amount = item.get("amount_cents")
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= MAX_CENTS):
        reasons.append(_("“amount_cents” must be a whole number of cents, 0 or more."))
        amount = None
    currency = item.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
                                     and currency.isupper()):
        reasons.append(_("“currency” must be a three-letter code such as EUR."))
    outcome = item.get("outcome", "open")
    if outcome not in OUTCOMES:
        reasons.append(_("“outcome” must be won, lost or open."))
    account = _optional_text(item, "account", 255, reasons)
    stage = _optional_text(item, "stage", 100, reasons)
    owner = _optional_text(item, "owner", 255, reasons)
    close_on = _date(item, "close_on", reasons)
    created_on = _date(item, "created_on", reasons)
    if reasons:
        return RowError(index, " ".join(reasons))
    return DealRow(line=index, external_id=external_id or "", name=name or "", amount_cents=amount,
                   currency=currency, outcome=outcome, account=account, stage=stage, owner=owner,
                   close_on=close_on, created_on=created_on)


@operation("POST", "/deals/batch", role=Role.ENABLEMENT, tag=TAG, summary=N_("Create or update deals by CRM id"),
           description=N_("The same upsert as the CRM import: a deal whose external_id exists is updated, others are "
                          "created; owners are matched by email or unique name. Invalid deals are listed in errors "
                          "(index into the list) and the valid ones are saved. With dry_run nothing is saved."),
           body=Body(obj({"deals": {"type": "array", "items": DEAL_IN, "minItems": 1, "maxItems": MAX_BATCH},
                          "dry_run": {"type": "boolean"}}, required=["deals"])),
           replies={200: ok(BATCH_OUT, N_("What was (or would be) done."))})
def deals_batch():
    data = json_body()
    items = data.get("deals")
    dry_run = data.get("dry_run", False)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH or not isinstance(dry_run, bool):
        raise invalid(_("Send {\"deals\": [...]} with 1 to %(n)d deals (and optionally \"dry_run\": true).",
                        n=MAX_BATCH))
    rows: dict[str, DealRow] = {}
    errors: list[RowError] = []
    warnings: list[RowError] = []
    for index, item in enumerate(items):
        parsed = _row(index, item)
        if isinstance(parsed, RowError):
            errors.append(parsed)
            continue
        if parsed.external_id in rows:
            warnings.append(RowError(index, _("The deal ID %(id)s appears twice; this later one is used.",
                                              id=parsed.external_id)))
        rows[parsed.external_id] = parsed
    result = ParseResult(format="api", headers=[], mapping={}, rows=list(rows.values()), errors=errors,
                         encoding="utf-8", delimiter="", problem=None, warnings=warnings)
    outcome = importing.import_deals(result, actor=user(), now=utcnow(), dry_run=dry_run)
    if not dry_run:
        db.session.commit()
        jobs.enqueue_reindex(outcome.changed_outcome_ids)
    else:
        db.session.rollback()
    return reply({"dry_run": dry_run, "created": outcome.created, "updated": outcome.updated,
                  "unchanged": outcome.unchanged, "rejected": outcome.rejected,
                  "errors": [{"index": e.line, "reason": e.reason} for e in outcome.errors],
                  "warnings": [{"index": w.line, "reason": w.reason} for w in outcome.warnings]})


# Usage events --------------------------------------------------------------------------------------------------

ITEM_TYPES = ["bite", "playlist", "playbook", "asset"]
KINDS = [k.value for k in UsageKind]
USAGE_IN = obj({
    "kind": {"type": "string", "enum": KINDS},
    "item_type": {"type": "string", "enum": ITEM_TYPES},
    "item_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "deal_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID,
                "description": N_("A deal you own (any deal for managers and up).")},
    "seconds": {"type": ["number", "null"], "minimum": 0, "maximum": 86400, "description": N_("Seconds played.")},
}, required=["kind", "item_type", "item_id"])


def _id(data: dict[str, Any], name: str, *, required: bool) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise invalid(_("“%(name)s” must be an id (a whole number from 1).", name=name))
    return value


@operation("POST", "/usage-events", role=Role.REP, tag=N_("Usage"), summary=N_("Report a use of content"),
           description=N_("For tools that show Enable content elsewhere (CRM sidebar, chat): the event counts in the "
                          "usage and deal-influence reports as if it happened on the site, for the token's owner."),
           body=Body(USAGE_IN), replies={201: ok(USAGE_EVENT, N_("Recorded."))})
def usage_create():
    data = json_body()
    kind, item_type = data.get("kind"), data.get("item_type")
    if kind not in KINDS or item_type not in ITEM_TYPES:
        raise invalid(_("“kind” must be one of %(kinds)s and “item_type” one of %(types)s.", kinds=", ".join(KINDS),
                        types=", ".join(ITEM_TYPES)))
    item_id = _id(data, "item_id", required=True) or 0
    deal_id = _id(data, "deal_id", required=False)
    seconds = data.get("seconds")
    if seconds is not None and (not isinstance(seconds, int | float) or isinstance(seconds, bool)
                                or not math.isfinite(seconds) or not 0 <= seconds <= 86400):
        raise invalid(_("“seconds” must be a number of seconds from 0 to 86400."))
    if item_type == "playlist":
        lists.get_playlist(item_id, user())  # 404 unless the playlist is visible to the token's owner
    elif item_type not in content.CONTENT_TYPES or not content.exists(item_type, item_id):
        raise not_found(_("This %(type)s does not exist.", type=item_type))
    kind = UsageKind(kind)
    meta = {"source": "api"}
    if kind == UsageKind.USED_ON_DEAL:
        if deal_id is None:
            raise invalid(_("“used_on_deal” needs the deal_id."))
        event, _new = deals.mark_used(user(), item_type, item_id, deal_id, now=utcnow())
    elif kind == UsageKind.PLAY and item_type == "bite":
        bite = db.session.get(Bite, item_id)
        event = curation.record_play(bite, user(), float(seconds or 0), deal_id=deal_id)
        if event is None:
            raise invalid(_("A play needs the seconds listened, more than 0."))
    else:
        deal = curation.deal_for_usage(deal_id, user())
        event = record_usage(user(), kind, item_type, item_id, deal_id=deal.id if deal else None,
                             seconds=float(seconds) if seconds is not None else None, meta=meta)
    db.session.commit()
    return reply(usage_json(event), 201)
